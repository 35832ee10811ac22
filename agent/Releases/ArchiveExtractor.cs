using System.Formats.Tar;
using System.IO.Compression;
using System.Runtime.Versioning;
using Grpc.Core;

namespace Baton.Agent.Releases;

/// <summary>
/// Unpacks a release artifact (tar.gz) into an empty folder, refusing the whole artifact when
/// any entry could reach outside that folder. Reading and format handling are System.Formats.Tar's;
/// this class only decides what each entry may become.
/// </summary>
/// <remarks>
/// Beyond the name rules of <see cref="ArchiveEntryPath"/>, it keeps a map of what it has already
/// created, so that no entry is ever written through a symbolic link (not even one pointing
/// inside) and no path is written twice; the on-disk layout therefore always equals the map,
/// and link targets can be judged against names rather than against the disk.
/// </remarks>
[UnsupportedOSPlatform("windows")] // file modes are part of a release (executables)
internal sealed class ArchiveExtractor
{
    private const UnixFileMode SpecialBits = UnixFileMode.SetUser | UnixFileMode.SetGroup | UnixFileMode.StickyBit;

    // Owner rwx on every folder: extraction must be able to write into a folder whose entry said
    // 0555, and removal of the release must be able to empty it.
    private const UnixFileMode OwnerAll = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private const UnixFileMode ImplicitFolderMode = OwnerAll
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private enum Node { Folder, File, SymbolicLink }

    private readonly string _destination;
    private readonly Dictionary<string, Node> _created = new(StringComparer.Ordinal) { [""] = Node.Folder };

    private ArchiveExtractor(string destination) => _destination = destination;

    /// <summary>
    /// Extracts <paramref name="archivePath"/> into <paramref name="destination"/>, which must exist
    /// and be empty. Throws InvalidArgument for a corrupt archive or an unsafe entry; the caller
    /// owns cleaning up <paramref name="destination"/> after a failure.
    /// </summary>
    public static async Task ExtractAsync(string archivePath, string destination, CancellationToken ct)
    {
        var extractor = new ArchiveExtractor(Path.GetFullPath(destination));
        await extractor.RunAsync(archivePath, ct).ConfigureAwait(false);
    }

    private async Task RunAsync(string archivePath, CancellationToken ct)
    {
        await using var file = new FileStream(archivePath, FileMode.Open, FileAccess.Read, FileShare.Read,
            bufferSize: 81920, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using var gzip = new GZipStream(file, CompressionMode.Decompress);
        await using var reader = new TarReader(gzip);

        var entries = 0;
        while (true)
        {
            TarEntry? entry;
            try
            {
                entry = await reader.GetNextEntryAsync(copyData: false, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (IsCorruption(e))
            {
                throw Corrupt(e);
            }
            if (entry is null) break;
            entries++;
            await ExtractEntryAsync(entry, ct).ConfigureAwait(false);
        }

        if (entries == 0) throw ReleaseErrors.InvalidArgument("artifact is not a valid tar.gz: it contains no entries");

        // TarReader stops at the tar end marker, before the gzip trailer; reading on to the end is
        // what makes GZipStream check the trailer's CRC and length against the data.
        try
        {
            await gzip.CopyToAsync(Stream.Null, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (IsCorruption(e))
        {
            throw Corrupt(e);
        }
    }

    private async Task ExtractEntryAsync(TarEntry entry, CancellationToken ct)
    {
        switch (entry.EntryType)
        {
            case TarEntryType.GlobalExtendedAttributes:
                return; // PAX defaults for later entries; TarReader has already applied them.
            case TarEntryType.Directory:
                CreateFolder(entry);
                return;
            case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                await CreateFileAsync(entry, ct).ConfigureAwait(false);
                return;
            case TarEntryType.SymbolicLink:
                CreateSymbolicLink(entry);
                return;
            case TarEntryType.HardLink:
                CopyHardLink(entry);
                return;
            case TarEntryType.CharacterDevice or TarEntryType.BlockDevice or TarEntryType.Fifo:
                throw Unsafe(entry, $"is a {Describe(entry.EntryType)}, which a release may not contain");
            default:
                throw Unsafe(entry, $"has the unsupported entry type {entry.EntryType}");
        }
    }

    private void CreateFolder(TarEntry entry)
    {
        var relative = RelativePathOf(entry);
        var mode = (entry.Mode & ~SpecialBits) | OwnerAll;
        if (_created.TryGetValue(relative, out var existing))
        {
            if (existing != Node.Folder) throw Unsafe(entry, "appears twice in the archive, once as a folder");
            if (relative.Length > 0) File.SetUnixFileMode(FullPath(relative), mode);
            return;
        }
        EnsureParentFolders(entry, relative);
        Guard(entry, () => Directory.CreateDirectory(FullPath(relative), mode));
        _created.Add(relative, Node.Folder);
    }

    private async Task CreateFileAsync(TarEntry entry, CancellationToken ct)
    {
        var relative = RelativePathOfNewEntry(entry);
        EnsureParentFolders(entry, relative);
        // Set-user-id bits from the network must not survive an agent that runs as root.
        entry.Mode &= ~SpecialBits;
        try
        {
            await entry.ExtractToFileAsync(FullPath(relative), overwrite: false, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (IsCorruption(e))
        {
            throw Corrupt(e);
        }
        catch (PathTooLongException)
        {
            throw Unsafe(entry, "has a path too long for this file system");
        }
        _created.Add(relative, Node.File);
    }

    private void CreateSymbolicLink(TarEntry entry)
    {
        var relative = RelativePathOfNewEntry(entry);
        if (!ArchiveEntryPath.IsSafeLinkTarget(relative, entry.LinkName, out var problem)) throw Unsafe(entry, problem!);
        EnsureParentFolders(entry, relative);
        Guard(entry, () => File.CreateSymbolicLink(FullPath(relative), entry.LinkName));
        _created.Add(relative, Node.SymbolicLink);
    }

    // .NET has no public API to create a hard link outside TarFile.ExtractToDirectory, and a copy
    // behaves the same for release files, which are never modified in place.
    private void CopyHardLink(TarEntry entry)
    {
        var relative = RelativePathOfNewEntry(entry);
        var target = ArchiveEntryPath.Normalize(entry.LinkName, out var problem);
        if (target is null)
            throw Unsafe(entry, $"is a hard link to {ReleaseErrors.Quote(entry.LinkName)}, which {problem}");
        if (!_created.TryGetValue(target, out var kind) || kind != Node.File)
            throw Unsafe(entry, $"is a hard link to {ReleaseErrors.Quote(entry.LinkName)}, which is not a regular file earlier in the archive");
        EnsureParentFolders(entry, relative);
        Guard(entry, () => File.Copy(FullPath(target), FullPath(relative), overwrite: false));
        _created.Add(relative, Node.File);
    }

    private string RelativePathOf(TarEntry entry)
    {
        var relative = ArchiveEntryPath.Normalize(entry.Name, out var problem);
        return relative ?? throw Unsafe(entry, problem!);
    }

    private string RelativePathOfNewEntry(TarEntry entry)
    {
        var relative = RelativePathOf(entry);
        if (relative.Length == 0) throw Unsafe(entry, "names the release folder itself but is not a folder");
        if (_created.ContainsKey(relative)) throw Unsafe(entry, "appears twice in the archive");
        return relative;
    }

    private void EnsureParentFolders(TarEntry entry, string relative)
    {
        var slash = -1;
        while ((slash = relative.IndexOf('/', slash + 1)) >= 0)
        {
            var parent = relative[..slash];
            if (_created.TryGetValue(parent, out var kind))
            {
                if (kind == Node.SymbolicLink)
                    throw Unsafe(entry, $"lies under {ReleaseErrors.Quote(parent)}, a symbolic link earlier in the archive");
                if (kind == Node.File)
                    throw Unsafe(entry, $"lies under {ReleaseErrors.Quote(parent)}, a file earlier in the archive");
                continue;
            }
            Guard(entry, () => Directory.CreateDirectory(FullPath(parent), ImplicitFolderMode));
            _created.Add(parent, Node.Folder);
        }
    }

    private string FullPath(string relative) => Path.Join(_destination, relative);

    private static void Guard(TarEntry entry, Action create)
    {
        try
        {
            create();
        }
        catch (PathTooLongException)
        {
            throw Unsafe(entry, "has a path too long for this file system");
        }
    }

    private static bool IsCorruption(Exception e) =>
        e is InvalidDataException or EndOfStreamException or FormatException or OverflowException;

    private static RpcException Corrupt(Exception cause) =>
        ReleaseErrors.InvalidArgument($"artifact is not a valid tar.gz: {cause.Message}");

    private static RpcException Unsafe(TarEntry entry, string problem) =>
        ReleaseErrors.InvalidArgument($"artifact rejected: entry {ReleaseErrors.Quote(entry.Name)} {problem}");

    private static string Describe(TarEntryType type) => type switch
    {
        TarEntryType.CharacterDevice => "character device",
        TarEntryType.BlockDevice => "block device",
        _ => "FIFO",
    };
}
