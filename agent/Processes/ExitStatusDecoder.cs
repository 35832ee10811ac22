using Baton.Agent.Native;
using Baton.Protos.Agent.V1;

namespace Baton.Agent.Processes;

internal static class ExitStatusDecoder
{
    /// <summary>Turns a waitpid status word into the contract's ExitStatus.</summary>
    public static ExitStatus FromWaitStatus(int status)
    {
        if (Libc.WIFEXITED(status)) return new ExitStatus { Code = Libc.WEXITSTATUS(status) };
        if (Libc.WIFSIGNALED(status)) return new ExitStatus { Signal = Libc.WTERMSIG(status) };
        return new ExitStatus { Unknown = true };
    }

    public static ExitStatus Unknown() => new() { Unknown = true };

    public static string Describe(ExitStatus? exit) => exit switch
    {
        null => "not exited",
        { HasCode: true } => $"exited with code {exit.Code}",
        { HasSignal: true } => $"killed by signal {exit.Signal}",
        _ => "exited (status unknown: not a child of this agent)",
    };

    /// <summary>A clean exit for the on-failure policy: code 0. A signal or unknown status counts as failure.</summary>
    public static bool IsSuccess(ExitStatus exit) => exit.HasCode && exit.Code == 0;
}
