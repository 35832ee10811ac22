using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Baton.Protos.Agent.V1;
using Baton.Protos.Orchestrator.V1;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Baton.Orchestrator.Validation;

namespace Baton.Orchestrator.Fleet;

/// <summary>
/// `baton logs APP`: the output of every instance of the app, on every agent, merged into one
/// stream of lines tagged with agent, instance and stream. Lines of one instance stream keep
/// their order; lines of different instances interleave as they arrive.
/// </summary>
public sealed class FleetLogStreamer(AgentRegistry registry, AgentOperations operations, FleetOptions options, ILogger<FleetLogStreamer> logger)
{
    /// <summary>
    /// With <paramref name="follow"/> the stream runs until cancelled (instances started later are
    /// not picked up). An agent that cannot be asked is skipped with a warning in the log while
    /// others answer; when no instance could be found and some agent was unreachable, the call
    /// fails with Unavailable naming them.
    /// </summary>
    public async IAsyncEnumerable<LogLine> StreamLogsAsync(string app, bool follow, uint tailLines, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        NameValidator.Require(app, "app");
        var targets = await FindInstancesAsync(app, cancellationToken);

        using var readers = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var lines = Channel.CreateBounded<LogLine>(new BoundedChannelOptions(1024) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        var pumps = targets.Select(t => PumpAsync(t.Connection, t.InstanceId, follow, tailLines, lines.Writer, readers.Token)).ToList();
        var allDone = CompleteWhenDoneAsync(pumps, lines.Writer);
        try
        {
            await foreach (var line in lines.Reader.ReadAllAsync(cancellationToken)) yield return line;
        }
        finally
        {
            // The consumer left (or was cancelled): stop every follower before returning.
            await readers.CancelAsync();
            await allDone;
        }
    }

    private async Task<List<(AgentConnection Connection, string InstanceId)>> FindInstancesAsync(string app, CancellationToken cancellationToken)
    {
        var connections = registry.Connections;
        var unreachable = new List<string>();
        var targets = new List<(AgentConnection, string)>();
        var answers = await Task.WhenAll(connections.Select(async connection =>
        {
            try
            {
                return (connection, instances: await operations.ListInstancesAsync(connection, app, cancellationToken), error: (RpcException?)null);
            }
            catch (RpcException e) when (e.StatusCode != StatusCode.Cancelled)
            {
                return (connection, instances: (IReadOnlyList<InstanceStatus>)[], error: e);
            }
        }));
        foreach (var (connection, instances, error) in answers)
        {
            if (error is not null)
            {
                logger.LogWarning("Logs of {App}: skipping agent {Agent}: {Error}", app, connection.Name, error.Status.Detail);
                unreachable.Add(error.Status.Detail);
            }
            targets.AddRange(instances.Where(i => i.Spec is not null).Select(i => (connection, i.Spec.InstanceId)));
        }
        if (targets.Count == 0 && unreachable.Count > 0)
            throw new RpcException(new Status(StatusCode.Unavailable, $"no logs of {app}: {string.Join("; ", unreachable)}"));
        return targets;
    }

    private async Task PumpAsync(AgentConnection connection, string instanceId, bool follow, uint tailLines, ChannelWriter<LogLine> lines, CancellationToken cancellationToken)
    {
        var splitter = new LogLineSplitter(connection.Name, instanceId);
        var request = new ReadLogsRequest { InstanceId = instanceId, Stream = LogStream.Unspecified, TailLines = tailLines, Follow = follow };
        // A follower lives as long as the consumer; a one-off read is bounded like any call.
        DateTime? deadline = follow ? null : connection.Deadline(options.CallTimeout);
        try
        {
            using var call = connection.Client.ReadLogs(request, deadline: deadline, cancellationToken: cancellationToken);
            await foreach (var chunk in call.ResponseStream.ReadAllAsync(cancellationToken))
                foreach (var line in splitter.Add(chunk))
                    await lines.WriteAsync(line, cancellationToken);
            foreach (var line in splitter.Flush()) await lines.WriteAsync(line, cancellationToken);
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("Logs of instance {Instance} on agent {Agent} ended early: {Error}",
                instanceId, connection.Name, AgentCallErrors.Translate(connection, e).Status.Detail);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The consumer is gone; nothing more to read.
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
        {
            // Same: cancelled while the call was in flight.
        }
    }

    private static async Task CompleteWhenDoneAsync(List<Task> pumps, ChannelWriter<LogLine> lines)
    {
        try
        {
            await Task.WhenAll(pumps);
            lines.TryComplete();
        }
        catch (Exception e)
        {
            lines.TryComplete(e);
        }
    }
}
