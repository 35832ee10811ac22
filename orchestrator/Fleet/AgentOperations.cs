using System.Security.Cryptography;
using Baton.Protos.Agent.V1;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using OrchestratorListInstancesResponse = Baton.Protos.Orchestrator.V1.ListInstancesResponse;
using Baton.Orchestrator.Validation;

namespace Baton.Orchestrator.Fleet;

/// <summary>
/// The agent calls the deploy engine makes. Each is idempotent (safe to retry after any failure)
/// and bounded by a deadline. Failures name the agent: Unavailable with its address when it
/// cannot be reached, NotFound for an agent not in the fleet, the agent's own code otherwise.
/// </summary>
public sealed class AgentOperations(AgentRegistry registry, FleetOptions options, ILogger<AgentOperations> logger)
{
    /// <summary>
    /// Makes sure <paramref name="agent"/> holds release <paramref name="app"/>/<paramref name="version"/>
    /// with digest <paramref name="sha256"/>, uploading the artifact only when it is missing.
    /// AlreadyExists when the agent has that version with another digest.
    /// </summary>
    public async Task<EnsureReleaseResult> EnsureReleaseAsync(string agent, string app, string version, string artifactPath, string sha256, CancellationToken cancellationToken = default)
    {
        NameValidator.Require(app, "app");
        NameValidator.Require(version, "version");
        var digest = sha256.ToLowerInvariant();
        if (digest.Length != SHA256.HashSizeInBytes * 2 || !digest.All(char.IsAsciiHexDigit))
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"sha256 {NameValidator.Show(sha256)} is not 64 hex digits"));
        var connection = registry.Get(agent);

        var existing = await CallAsync(connection, async client =>
            (await client.ListReleasesAsync(new ListReleasesRequest { App = app }, deadline: connection.Deadline(options.CallTimeout), cancellationToken: cancellationToken)).Releases
            .FirstOrDefault(r => r.Version == version));
        if (existing is not null)
        {
            if (existing.Sha256 == digest) return new EnsureReleaseResult(existing, Uploaded: false);
            throw new RpcException(new Status(StatusCode.AlreadyExists,
                $"agent \"{agent}\" already holds {app}/{version} with sha256 {existing.Sha256}, not {digest}; a version's content never changes, deploy it under a new version"));
        }

        FileStream artifact;
        try
        {
            artifact = new FileStream(artifactPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"artifact {artifactPath} of {app}/{version} does not exist on the orchestrator"));
        }
        await using (artifact)
        {
            var response = await CallAsync(connection, client => UploadAsync(client, connection, app, version, digest, artifact, cancellationToken));
            logger.LogInformation("Release {App}/{Version} on agent {Agent}: {Outcome}", app, version, agent, response.AlreadyPresent ? "already present" : "uploaded");
            return new EnsureReleaseResult(response.Release, Uploaded: !response.AlreadyPresent);
        }
    }

    private async Task<UploadReleaseResponse> UploadAsync(AgentService.AgentServiceClient client, AgentConnection connection,
        string app, string version, string digest, FileStream artifact, CancellationToken cancellationToken)
    {
        using var call = client.UploadRelease(deadline: connection.Deadline(options.UploadTimeout), cancellationToken: cancellationToken);
        RpcException? writeFailure = null;
        try
        {
            await call.RequestStream.WriteAsync(new UploadReleaseRequest
            {
                Header = new ReleaseHeader { App = app, Version = version, Sha256 = digest, Size = (ulong)artifact.Length },
            }, cancellationToken);
            var buffer = new byte[options.UploadChunkBytes];
            int read;
            while ((read = await artifact.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken)) > 0)
                await call.RequestStream.WriteAsync(new UploadReleaseRequest { Chunk = ByteString.CopyFrom(buffer, 0, read) }, cancellationToken);
            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException e)
        {
            // The agent may end the call before reading everything (a refused header); its answer below carries the reason.
            writeFailure = e;
        }
        var response = await call.ResponseAsync;
        if (writeFailure is not null) throw writeFailure;
        return response;
    }

    /// <summary>Starts the instances (all validated by the agent before any starts); an instance already running with the same spec is left alone.</summary>
    public async Task<IReadOnlyList<InstanceStatus>> LaunchAsync(string agent, IReadOnlyList<InstanceSpec> instances, CancellationToken cancellationToken = default)
    {
        var connection = registry.Get(agent);
        var request = new LaunchRequest();
        request.Instances.AddRange(instances);
        return await CallAsync(connection, async client =>
            (await client.LaunchAsync(request, deadline: connection.Deadline(options.CallTimeout), cancellationToken: cancellationToken)).Instances.ToList());
    }

    /// <summary>
    /// Stops the instances gracefully (their stop policy, then SIGKILL); with <paramref name="remove"/>
    /// the agent forgets them. An id the agent does not know (already removed) counts as not running,
    /// so a retried stop succeeds.
    /// </summary>
    public async Task<IReadOnlyList<StopResult>> StopAsync(string agent, IReadOnlyList<string> instanceIds, bool remove, CancellationToken cancellationToken = default)
    {
        var connection = registry.Get(agent);
        try
        {
            return await StopKnownAsync(connection, instanceIds, remove, cancellationToken);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            // The agent refuses the whole request for one unknown id: stop those it knows, report the rest as gone.
            var known = (await ListInstancesAsync(connection, null, cancellationToken)).Select(i => i.Spec.InstanceId).ToHashSet(StringComparer.Ordinal);
            var present = instanceIds.Where(known.Contains).ToList();
            var results = present.Count > 0 ? [.. await StopKnownAsync(connection, present, remove, cancellationToken)] : new List<StopResult>();
            results.AddRange(instanceIds.Where(id => !known.Contains(id)).Select(id => new StopResult { InstanceId = id, Outcome = StopOutcome.NotRunning }));
            return results;
        }
    }

    private async Task<IReadOnlyList<StopResult>> StopKnownAsync(AgentConnection connection, IReadOnlyList<string> instanceIds, bool remove, CancellationToken cancellationToken)
    {
        var request = new StopRequest { Remove = remove };
        request.InstanceIds.AddRange(instanceIds);
        return await CallAsync(connection, async client =>
            (await client.StopAsync(request, deadline: connection.Deadline(options.StopTimeout), cancellationToken: cancellationToken)).Results.ToList());
    }

    /// <summary>The agent's instances (of <paramref name="app"/> only, when given) with their live figures.</summary>
    public async Task<IReadOnlyList<InstanceStatus>> ListInstancesAsync(string agent, string? app = null, CancellationToken cancellationToken = default)
    {
        if (!string.IsNullOrEmpty(app)) NameValidator.Require(app, "app");
        return await ListInstancesAsync(registry.Get(agent), app, cancellationToken);
    }

    /// <summary>
    /// Every instance on every agent, asked in parallel. An agent that cannot be asked does not
    /// fail the whole list: it is reported in <c>unreachable</c> with the error.
    /// </summary>
    public async Task<OrchestratorListInstancesResponse> ListAllInstancesAsync(string? app = null, CancellationToken cancellationToken = default)
    {
        if (!string.IsNullOrEmpty(app)) NameValidator.Require(app, "app");
        var connections = registry.Connections;
        var answers = await Task.WhenAll(connections.Select(async connection =>
        {
            try
            {
                return (connection, instances: await ListInstancesAsync(connection, app, cancellationToken), error: (string?)null);
            }
            catch (RpcException e) when (e.StatusCode != StatusCode.Cancelled)
            {
                return (connection, instances: (IReadOnlyList<InstanceStatus>)[], error: e.Status.Detail);
            }
        }));

        var response = new OrchestratorListInstancesResponse();
        foreach (var (connection, instances, error) in answers)
        {
            if (error is not null) response.Unreachable[connection.Name] = error;
            response.Instances.AddRange(instances.Select(i => InstanceMapping.ToOrchestrator(connection.Name, i)));
        }
        return response;
    }

    internal async Task<IReadOnlyList<InstanceStatus>> ListInstancesAsync(AgentConnection connection, string? app, CancellationToken cancellationToken) =>
        await CallAsync(connection, async client =>
            (await client.ListInstancesAsync(new ListInstancesRequest { App = app ?? "" }, deadline: connection.Deadline(options.CallTimeout), cancellationToken: cancellationToken)).Instances.ToList());

    private static async Task<T> CallAsync<T>(AgentConnection connection, Func<AgentService.AgentServiceClient, Task<T>> call)
    {
        try
        {
            return await call(connection.Client);
        }
        catch (RpcException e)
        {
            throw AgentCallErrors.Translate(connection, e);
        }
    }
}
