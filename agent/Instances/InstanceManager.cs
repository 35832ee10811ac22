using System.Collections.Concurrent;
using Baton.Agent.Configuration;
using Baton.Agent.Events;
using Baton.Agent.Processes;
using Baton.Agent.State;
using Baton.Protos.Agent.V1;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Baton.Agent.Instances;

/// <summary>
/// The table of instances this agent supervises: validates and starts launches all-or-nothing,
/// stops and restarts them, persists the table to the state file, and at startup takes over
/// what the previous agent process left running.
/// </summary>
internal sealed class InstanceManager : IInstanceObserver, Releases.IReleaseUsage
{
    private readonly ConcurrentDictionary<string, Instance> _instances = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _tableLock = new(1, 1);
    private readonly AgentOptions _options;
    private readonly InstanceSpecValidator _validator;
    private readonly PortAllocator _ports;
    private readonly InstanceServices _services;
    private readonly IInstanceMetrics _metrics;
    private readonly AgentStateFile _stateFile;
    private readonly ILogger<InstanceManager> _logger;

    public InstanceManager(
        AgentOptions options,
        ILogPipes logs,
        IProbeScheduler probes,
        ProcessWatcher watcher,
        EventHub events,
        IInstanceMetrics metrics,
        TimeProvider time,
        ILoggerFactory loggers,
        Action<Probe?, string>? validateProbe = null)
    {
        _options = options;
        _metrics = metrics;
        _logger = loggers.CreateLogger<InstanceManager>();
        _validator = new InstanceSpecValidator(options, validateProbe);
        _ports = new PortAllocator(options);
        _services = new InstanceServices(options, logs, probes, watcher, events, this, time, loggers.CreateLogger<Instance>());
        _stateFile = new AgentStateFile(options.StateFile, Snapshot, loggers.CreateLogger<AgentStateFile>());
    }

    public async Task<LaunchResponse> LaunchAsync(LaunchRequest request)
    {
        if (request.Instances.Count == 0) throw new RpcException(new Status(StatusCode.InvalidArgument, "instances is empty"));
        var duplicate = request.Instances.GroupBy(s => s.InstanceId).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"instance_id {duplicate.Key} appears more than once in the request"));

        var created = new List<Instance>();
        var toStart = new List<Instance>();
        await _tableLock.WaitAsync();
        try
        {
            var plans = new List<(InstanceSpec Spec, LaunchPlan Plan)>();
            foreach (var spec in request.Instances)
            {
                var plan = _validator.Validate(spec);
                if (_instances.TryGetValue(spec.InstanceId, out var existing))
                {
                    if (!existing.Spec.Equals(spec))
                        throw new RpcException(new Status(StatusCode.AlreadyExists,
                            $"instance {spec.InstanceId} already exists with a different spec (app {existing.Spec.App}, version {existing.Spec.Version}); stop it with remove=true first"));
                    toStart.Add(existing);
                    continue;
                }
                plans.Add((spec, plan));
            }

            var claimed = new List<(int Port, string Id)>();
            try
            {
                foreach (var (spec, plan) in plans)
                {
                    int port;
                    if (spec.Port != 0)
                    {
                        port = (int)spec.Port;
                        _ports.Claim(port, spec.InstanceId);
                    }
                    else
                    {
                        port = _ports.Allocate(spec.InstanceId);
                    }
                    claimed.Add((port, spec.InstanceId));
                    created.Add(new Instance(spec, plan, port, _services));
                }
            }
            catch
            {
                foreach (var (port, id) in claimed) _ports.Release(port, id);
                throw;
            }
            foreach (var instance in created) _instances[instance.Id] = instance;
            toStart.AddRange(created);
        }
        finally
        {
            _tableLock.Release();
        }

        try
        {
            await Task.WhenAll(toStart.Select(i => i.EnsureRunningAsync()));
        }
        catch (SpawnException e)
        {
            // Nothing half-done: the instances this call created go away again.
            foreach (var instance in created) await RemoveAsync(instance);
            throw new RpcException(new Status(StatusCode.FailedPrecondition, e.Message));
        }
        await _stateFile.SaveAsync();
        var response = new LaunchResponse();
        response.Instances.AddRange(toStart.Select(i => i.ToStatus()));
        return response;
    }

    public async Task<StopResponse> StopAsync(StopRequest request)
    {
        var instances = Resolve(request.InstanceIds);
        if (!Enum.IsDefined(request.Signal))
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"signal {(int)request.Signal} is unknown"));
        int? signal = request.Signal == StopSignal.Unspecified ? null : InstancePolicies.SignalNumber(request.Signal);
        TimeSpan? timeout = request.TimeoutMs == 0 ? null : TimeSpan.FromMilliseconds(request.TimeoutMs);

        var results = await Task.WhenAll(instances.Select(i => i.StopAsync(signal, timeout)));
        if (request.Remove)
            foreach (var instance in instances) await RemoveAsync(instance);
        await _stateFile.SaveAsync();
        var response = new StopResponse();
        response.Results.AddRange(results);
        return response;
    }

    public async Task<RestartResponse> RestartAsync(RestartRequest request)
    {
        var instances = Resolve(request.InstanceIds);
        await Task.WhenAll(instances.Select(i => i.RestartAsync()));
        await _stateFile.SaveAsync();
        var response = new RestartResponse();
        response.Instances.AddRange(instances.Select(i => i.ToStatus()));
        return response;
    }

    public ListInstancesResponse List(string app, string version)
    {
        var response = new ListInstancesResponse();
        response.Instances.AddRange(_instances.Values
            .Where(i => (app.Length == 0 || i.Spec.App == app) && (version.Length == 0 || i.Spec.Version == version))
            .OrderBy(i => i.Id, StringComparer.Ordinal)
            .Select(i => i.ToStatus()));
        return response;
    }

    public IReadOnlyDictionary<InstanceState, int> CountByState() =>
        _instances.Values.GroupBy(i => i.State).ToDictionary(g => g.Key, g => g.Count());

    public int Count => _instances.Count;

    public int RunningInstances(string app, string version) =>
        _instances.Values.Count(i => i.Spec.App == app && i.Spec.Version == version && i.IsActive);

    /// <summary>
    /// Takes over what the previous agent process left: instances from the state file are
    /// re-adopted when their pid and start time still match (else restarted per policy), and
    /// marked processes the state file does not know (spawned just before a crash) are found
    /// in /proc — adopted if their instance is known, killed otherwise, so none is orphaned.
    /// </summary>
    public async Task RecoverAsync()
    {
        var state = _stateFile.Load();
        var marked = MarkedProcessScanner.Scan(InstanceEnvironment.AgentMarkVariable, _options.DataDir);
        foreach (var record in state?.Instances ?? [])
        {
            var spec = record.ReadSpec();
            LaunchPlan plan;
            try
            {
                plan = _validator.Validate(spec);
            }
            catch (RpcException e)
            {
                _logger.LogWarning("Instance {Id} from the state file no longer validates ({Error}); restarts will fail until it is relaunched", spec.InstanceId, e.Status.Detail);
                plan = new LaunchPlan(spec.Command, spec.Args, _options.DataDir, _options.DataDir, null);
            }
            if (marked.Remove(spec.InstanceId, out var live) && (live.Pid != record.Pid || live.StartTimeTicks != record.StartTimeTicks))
            {
                _logger.LogInformation("Instance {Id}: state file says pid {Recorded}, /proc shows pid {Live}; adopting the live one", spec.InstanceId, record.Pid, live.Pid);
                record.Pid = live.Pid;
                record.StartTimeTicks = live.StartTimeTicks;
            }
            _ports.Claim(record.Port, spec.InstanceId);
            var instance = new Instance(spec, plan, record.Port, _services);
            _instances[instance.Id] = instance;
            await instance.AdoptAsync(record);
        }
        foreach (var (id, orphan) in marked)
        {
            _logger.LogWarning("Killing process group {Pid} of unknown instance {Id} (launched but never recorded)", orphan.Pid, id);
            ProcessGroup.Kill(orphan.Pid);
        }
        await _stateFile.SaveAsync();
    }

    public Task SaveStateAsync() => _stateFile.SaveAsync();

    private async Task RemoveAsync(Instance instance)
    {
        if (instance.IsActive && instance.State != InstanceState.Unspecified) await instance.StopAsync();
        _instances.TryRemove(instance.Id, out _);
        _ports.Release(instance.Port, instance.Id);
        _services.Logs.Delete(instance.Id);
    }

    private List<Instance> Resolve(IEnumerable<string> ids)
    {
        var list = ids.ToList();
        if (list.Count == 0) throw new RpcException(new Status(StatusCode.InvalidArgument, "instance_ids is empty"));
        var unknown = list.Where(id => !_instances.ContainsKey(id)).ToList();
        if (unknown.Count > 0)
            throw new RpcException(new Status(StatusCode.NotFound, $"no instance {string.Join(", ", unknown)} on this agent"));
        return list.Distinct().Select(id => _instances[id]).ToList();
    }

    private AgentState Snapshot() => new() { Instances = _instances.Values.Select(i => i.ToRecord()).ToList() };

    void IInstanceObserver.StateChanged(Instance instance) => _stateFile.RequestSave();

    void IInstanceObserver.Spawned(Instance instance, TimeSpan latency) => _metrics.RecordSpawn(latency);

    void IInstanceObserver.Restarted(Instance instance) => _metrics.RecordRestart(instance.Spec.App);

    void IInstanceObserver.ProbeFailed(Instance instance, string probe) => _metrics.RecordProbeFailure(instance.Spec.App, probe);
}
