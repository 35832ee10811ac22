using Baton.Protos.Agent.V1;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Baton.Agent.Probes;

/// <summary>
/// Runs one probe of one instance on its own loop: waits the initial delay, then checks every
/// interval (measured from the start of one check to the start of the next; checks never
/// overlap, so one that runs past the interval is followed at once by the next), each check
/// cut off after the timeout and counted as a failure "timed out after N ms".
/// <para>
/// The verdict starts unknown (<see cref="Current"/> is null). It becomes healthy after
/// success_threshold consecutive passes and unhealthy after failure_threshold consecutive
/// failures, from the start as well as after being healthy. The callback hears only changes,
/// on the runner's loop, one at a time, never after <see cref="DisposeAsync"/> has returned.
/// </para>
/// The runner owns the check: a disposable check is disposed when the loop ends.
/// </summary>
internal sealed partial class ProbeRunner : IAsyncDisposable
{
    private readonly ProbeSettings _settings;
    private readonly IProbeCheck _check;
    private readonly Action<ProbeVerdict> _onVerdictChanged;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private volatile ProbeVerdict? _current;
    // The managed thread id running the callback, 0 outside it: lets DisposeAsync called from
    // inside the callback avoid waiting for the loop it is running on.
    private int _callbackThread;
    private int _disposed;

    private ProbeRunner(ProbeSettings settings, IProbeCheck check, Action<ProbeVerdict> onVerdictChanged,
        TimeProvider time, ILogger logger)
    {
        _settings = settings;
        _check = check;
        _onVerdictChanged = onVerdictChanged;
        _time = time;
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>The verdict so far; null until a threshold has been reached once.</summary>
    public ProbeVerdict? Current => _current;

    /// <summary>Starts probing with <paramref name="check"/>, which the runner then owns.</summary>
    public static ProbeRunner Start(ProbeSettings settings, IProbeCheck check, Action<ProbeVerdict> onVerdictChanged,
        TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(check);
        ArgumentNullException.ThrowIfNull(onVerdictChanged);
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.SuccessThreshold, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.FailureThreshold, 1);
        // A zero interval with a check that completes synchronously would spin a core.
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(settings.Interval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(settings.Timeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.InitialDelay, TimeSpan.Zero);
        return new ProbeRunner(settings, check, onVerdictChanged,
            timeProvider ?? TimeProvider.System, logger ?? NullLogger.Instance);
    }

    /// <summary>Starts probing an instance listening on <paramref name="instancePort"/> as a validated <paramref name="probe"/> says.</summary>
    public static ProbeRunner Start(Probe probe, int instancePort, ProbeCheckFactory checks,
        Action<ProbeVerdict> onVerdictChanged, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(checks);
        var settings = ProbeDefaults.Normalize(probe);
        return Start(settings, checks.Create(probe, instancePort), onVerdictChanged, timeProvider, logger);
    }

    /// <summary>
    /// Stops the loop, cancelling a check in flight, and waits for it to end. Called from inside
    /// the callback it cannot wait for its own caller, so it only stops the loop, which ends
    /// when the callback returns, without calling back again.
    /// </summary>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
            _stop.Cancel();
        // Decided before any await: after one, the code may resume on another thread.
        if (Volatile.Read(ref _callbackThread) == Environment.CurrentManagedThreadId)
            return ValueTask.CompletedTask;
        return new ValueTask(WaitForLoopAsync());
    }

    private async Task WaitForLoopAsync()
    {
        await _loop.ConfigureAwait(false);
        // Left to the collector when disposed from the callback: nothing waits there for the loop.
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        var ct = _stop.Token;
        try
        {
            if (_settings.InitialDelay > TimeSpan.Zero)
                await Task.Delay(_settings.InitialDelay, _time, ct).ConfigureAwait(false);

            int successes = 0, failures = 0;
            while (true)
            {
                var started = _time.GetTimestamp();
                var outcome = await CheckOnceAsync(ct).ConfigureAwait(false);
                // A result that arrives while stopping is stale; it must not reach the callback.
                ct.ThrowIfCancellationRequested();

                // Capped so that a probe running for years cannot overflow the counters.
                if (outcome.Healthy)
                {
                    successes = Math.Min(successes + 1, _settings.SuccessThreshold);
                    failures = 0;
                    if (successes == _settings.SuccessThreshold && _current?.Healthy != true)
                        Publish(new ProbeVerdict(true, outcome.Message));
                }
                else
                {
                    failures = Math.Min(failures + 1, _settings.FailureThreshold);
                    successes = 0;
                    if (failures == _settings.FailureThreshold && _current?.Healthy != false)
                        Publish(new ProbeVerdict(false, outcome.Message));
                }

                var wait = _settings.Interval - _time.GetElapsedTime(started);
                if (wait > TimeSpan.Zero)
                    await Task.Delay(wait, _time, ct).ConfigureAwait(false);
                else
                    ct.ThrowIfCancellationRequested();
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Disposal is the loop's only way out.
        }
        catch (Exception e)
        {
            // Only a bug gets here. Reporting unhealthy makes the instance visibly stuck instead
            // of silently unprobed.
            LogLoopFailed(_check, e);
            Publish(new ProbeVerdict(false, $"probe stopped: {e.Message}"));
        }
        finally
        {
            await DisposeCheckAsync().ConfigureAwait(false);
        }
    }

    private async Task<ProbeOutcome> CheckOnceAsync(CancellationToken stop)
    {
        using var timeout = new CancellationTokenSource(_settings.Timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, timeout.Token);
        ProbeOutcome outcome;
        try
        {
            outcome = await _check.CheckAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopping, not failing: the loop ends without a verdict.
            throw;
        }
        catch (Exception e) when (timeout.IsCancellationRequested)
        {
            // Whatever a check throws once its token is cancelled is the timeout's doing.
            LogCheckCancelled(_check, e);
            return TimedOut();
        }
        catch (Exception e)
        {
            LogCheckThrew(_check, e);
            return ProbeOutcome.Fail($"check error: {e.Message}");
        }
        // A check may report its own cancellation as a plain failure (an aborted connect, say);
        // the operator needs to read that it was the timeout.
        return !outcome.Healthy && timeout.IsCancellationRequested && !stop.IsCancellationRequested
            ? TimedOut()
            : outcome;
    }

    private ProbeOutcome TimedOut() =>
        ProbeOutcome.Fail($"timed out after {(long)_settings.Timeout.TotalMilliseconds} ms");

    private void Publish(ProbeVerdict verdict)
    {
        if (_stop.IsCancellationRequested) return;
        _current = verdict;
        LogVerdict(_check, verdict.Healthy ? "healthy" : "unhealthy", verdict.Message);
        Volatile.Write(ref _callbackThread, Environment.CurrentManagedThreadId);
        try
        {
            _onVerdictChanged(verdict);
        }
        catch (Exception e)
        {
            // The verdict stands (Current has it); one faulty subscriber must not stop probing.
            LogCallbackThrew(_check, e);
        }
        finally
        {
            Volatile.Write(ref _callbackThread, 0);
        }
    }

    private async ValueTask DisposeCheckAsync()
    {
        try
        {
            if (_check is IAsyncDisposable asyncDisposable)
                await asyncDisposable.DisposeAsync().ConfigureAwait(false);
            else if (_check is IDisposable disposable)
                disposable.Dispose();
        }
        catch (Exception e)
        {
            // Disposal runs while the runner itself is being disposed; throwing from there would
            // hide the probe's stop from the caller, so the failure is logged instead.
            LogCheckDisposeFailed(_check, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Probe {Check} is now {Verdict}: {Detail}")]
    private partial void LogVerdict(IProbeCheck check, string verdict, string detail);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Probe {Check} timed out; the check ended with this")]
    private partial void LogCheckCancelled(IProbeCheck check, Exception e);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Probe {Check} threw instead of reporting a failure")]
    private partial void LogCheckThrew(IProbeCheck check, Exception e);

    [LoggerMessage(Level = LogLevel.Error, Message = "Verdict callback of probe {Check} threw")]
    private partial void LogCallbackThrew(IProbeCheck check, Exception e);

    [LoggerMessage(Level = LogLevel.Error, Message = "Probe loop of {Check} failed; the probe no longer runs")]
    private partial void LogLoopFailed(IProbeCheck check, Exception e);

    [LoggerMessage(Level = LogLevel.Error, Message = "Disposing probe check {Check} failed")]
    private partial void LogCheckDisposeFailed(IProbeCheck check, Exception e);
}
