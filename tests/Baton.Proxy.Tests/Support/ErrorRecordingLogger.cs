using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Baton.Proxy.Tests.Support;

/// <summary>Keeps what a client logs at Error and above, so a test fails on an unexpected failure the client survived.</summary>
internal sealed class ErrorRecordingLogger<T> : ILogger<T>
{
    private readonly ConcurrentQueue<string> _errors = new();

    public IReadOnlyCollection<string> Errors => _errors;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel)) _errors.Enqueue($"{formatter(state, exception)} {exception}");
    }
}
