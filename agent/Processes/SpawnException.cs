namespace Baton.Agent.Processes;

/// <summary>posix_spawn or one of its steps failed; <see cref="Errno"/> says why (ENOENT, EACCES, …).</summary>
internal sealed class SpawnException(int errno, string message) : Exception(message)
{
    public int Errno { get; } = errno;
}
