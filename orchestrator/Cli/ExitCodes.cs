namespace Baton.Orchestrator.Cli;

/// <summary>`baton`'s exit codes. <see cref="CliErrors"/> maps every failure to one of them.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The operation failed: the server refused it, or a watched deploy rolled back.</summary>
    public const int Failed = 1;

    /// <summary>The command line was wrong (unknown flag, missing argument, unreadable file).</summary>
    public const int Usage = 2;

    /// <summary>The Baton server could not be reached.</summary>
    public const int Unreachable = 3;

    /// <summary>The server refused the token (or its absence).</summary>
    public const int Unauthenticated = 4;

    /// <summary>
    /// `baton server` could not bind one of its listeners (port in use, privileged port). sysexits.h's
    /// EX_OSERR: the operating system refused what the server needs, so a supervisor can tell it from
    /// a crash (1) and from bad options (2).
    /// </summary>
    public const int CannotListen = 71;

    /// <summary>
    /// `baton server`'s data dir is locked by another running server. sysexits.h's EX_TEMPFAIL: the
    /// resource is busy and the same start succeeds once its holder has stopped; distinct from a port
    /// that cannot bind (71) so a supervisor or a person can tell the two apart.
    /// </summary>
    public const int DataDirInUse = 75;

    /// <summary>Interrupted (Ctrl+C) while waiting: 128 + SIGINT, as shells report it.</summary>
    public const int Interrupted = 130;
}
