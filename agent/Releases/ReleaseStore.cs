using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using Baton.Agent.Configuration;
using Baton.Agent.Validation;
using Baton.Protos.Agent.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Baton.Agent.Releases;

/// <summary>
/// The releases on this host: receives artifacts, unpacks them into
/// <c>ReleasesDir/&lt;app&gt;/&lt;version&gt;/</c>, lists, removes and prunes them.
/// </summary>
/// <remarks>
/// <para>Layout: each release folder has a metadata file beside it,
/// <c>ReleasesDir/&lt;app&gt;/.&lt;version&gt;.release.json</c> (names cannot start with '.', so it
/// never collides with a version). A release exists only when both are present: the folder is
/// renamed into place first and the metadata written second, and removal deletes in the opposite
/// order, so an interruption at any point leaves at worst a folder without metadata, which the
/// next start deletes. Everything in flight lives in <c>ReleasesDir/.tmp/</c> (same file system, so
/// every move is a rename), which the next start empties.</para>
/// <para>Locking: a per-release async lock serializes uploads of one app/version for their whole
/// duration, so a second upload waits and then finds the first one's result. A single short
/// commit lock guards every change to the committed layout (commit, remove, retention); slow work
/// (receiving, unpacking, deleting folders) happens outside it.</para>
/// </remarks>
internal sealed class ReleaseStore
{
    private const string MetadataSuffix = ".release.json";

    private static readonly SearchValues<char> LowerHexDigits = SearchValues.Create("0123456789abcdef");

    private readonly AgentOptions _options;
    private readonly IReleaseUsage _usage;
    private readonly ILogger<ReleaseStore> _logger;
    private readonly TimeProvider _time;
    private readonly string _root;
    private readonly string _tmp;
    private readonly KeyedAsyncLock<string> _releaseLocks = new();
    private readonly Lock _commitLock = new();

    public ReleaseStore(AgentOptions options, IReleaseUsage usage, ILogger<ReleaseStore> logger, TimeProvider? time = null)
    {
        _options = options;
        _usage = usage;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _root = Path.GetFullPath(options.ReleasesDir);
        _tmp = Path.Combine(_root, ".tmp");

        Directory.CreateDirectory(_root);
        DeleteInterruptedWork();
    }

    /// <summary>
    /// Receives one artifact: the header first, then chunks. Verifies size and sha256, unpacks,
    /// commits, then applies retention to the app.
    /// </summary>
    /// <remarks>
    /// When the same app/version is already present with the same sha256, the remaining chunks are
    /// read and discarded (still held to the size and chunk limits, but not hashed): the stored
    /// copy was verified against that digest when it arrived, so the duplicate bytes would prove
    /// nothing, and reading them lets the client finish its stream normally.
    /// </remarks>
    public async Task<UploadReleaseResponse> ReceiveAsync(IAsyncEnumerable<UploadReleaseRequest> parts, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(parts);
        try
        {
            return await ReceiveCoreAsync(parts, ct).ConfigureAwait(false);
        }
        catch (RpcException e)
        {
            _logger.LogWarning("Release upload refused ({Status}): {Detail}", e.StatusCode, e.Status.Detail);
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogError(e, "Release upload failed");
            throw;
        }
    }

    /// <summary>Committed releases, of one app or of all, ordered by app then newest first.</summary>
    public IReadOnlyList<Release> List(string? app)
    {
        IEnumerable<string> apps;
        if (app is null)
        {
            apps = Directory.EnumerateDirectories(_root).Select(Path.GetFileName).OfType<string>().Where(NameValidator.IsValid);
        }
        else
        {
            NameValidator.Require(app, "app");
            apps = [app];
        }

        return apps.Order(StringComparer.Ordinal)
            .SelectMany(a => ReadableMetadataOf(a)
                .OrderByDescending(m => m.CreatedAt)
                .ThenByDescending(m => m.Version, StringComparer.Ordinal))
            .Select(ToRelease)
            .ToList();
    }

    /// <summary>The committed release, or null when it is not (or not completely) on disk.</summary>
    public Release? Find(string app, string version)
    {
        NameValidator.Require(app, "app");
        NameValidator.Require(version, "version");
        var metadata = ReadMetadata(app, version);
        return metadata is null ? null : ToRelease(metadata);
    }

    /// <summary>Where the release's files live (or would live); says nothing about whether it exists.</summary>
    public string PathOf(string app, string version)
    {
        NameValidator.Require(app, "app");
        NameValidator.Require(version, "version");
        return ReleaseFolder(app, version);
    }

    /// <summary>Deletes a release: NotFound when absent, FailedPrecondition while instances of it run.</summary>
    public void Remove(string app, string version)
    {
        NameValidator.Require(app, "app");
        NameValidator.Require(version, "version");

        string? discarded;
        lock (_commitLock)
        {
            if (!File.Exists(MetadataFile(app, version)) && !Directory.Exists(ReleaseFolder(app, version)))
                throw ReleaseErrors.NotFound($"release {app} {version} is not on this host");
            var running = _usage.RunningInstances(app, version);
            if (running > 0)
                throw ReleaseErrors.FailedPrecondition($"release {app} {version} has {running} running instance(s); stop them before removing it");
            discarded = Uncommit(app, version);
        }
        _logger.LogInformation("Removed release {App} {Version}", app, version);
        DeleteDiscarded(discarded);
    }

    /// <summary>
    /// Keeps the newest <see cref="AgentOptions.KeepReleases"/> releases of the app (by creation
    /// time) and deletes older ones, except those with running instances.
    /// </summary>
    public void ApplyRetention(string app)
    {
        NameValidator.Require(app, "app");
        ApplyRetention(app, protectedVersion: null);
    }

    private async Task<UploadReleaseResponse> ReceiveCoreAsync(IAsyncEnumerable<UploadReleaseRequest> parts, CancellationToken ct)
    {
        await using var messages = parts.GetAsyncEnumerator(ct);
        var header = await ReadHeaderAsync(messages).ConfigureAwait(false);

        using var releaseLock = await _releaseLocks.AcquireAsync($"{header.App}/{header.Version}", ct).ConfigureAwait(false);

        var existing = Find(header.App, header.Version);
        if (existing is not null)
        {
            RequireSameArtifact(existing, header);
            await ConsumeChunksAsync(messages, header, static _ => ValueTask.CompletedTask).ConfigureAwait(false);
            _logger.LogInformation("Release {App} {Version} already present with sha256 {Sha256}", header.App, header.Version, header.Sha256);
            return new UploadReleaseResponse { Release = existing, AlreadyPresent = true };
        }

        Directory.CreateDirectory(_tmp);
        var artifact = Path.Combine(_tmp, $"{header.App}_{header.Version}_{Guid.NewGuid():N}.tar.gz");
        var staging = Path.Combine(_tmp, $"{header.App}_{header.Version}_{Guid.NewGuid():N}.d");
        Release release;
        try
        {
            await ReceiveArtifactAsync(messages, header, artifact, ct).ConfigureAwait(false);
            Directory.CreateDirectory(staging);
            if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("releases keep Unix file modes; the agent runs on Linux");
            await ArchiveExtractor.ExtractAsync(artifact, staging, ct).ConfigureAwait(false);
            release = Commit(header, staging);
        }
        finally
        {
            DeleteQuietly(artifact);
            DeleteQuietly(staging);
        }
        _logger.LogInformation("Stored release {App} {Version} ({Size} bytes, sha256 {Sha256})",
            header.App, header.Version, header.Size, header.Sha256);

        try
        {
            ApplyRetention(header.App, protectedVersion: header.Version);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or RpcException)
        {
            // The upload itself succeeded and is committed; pruning is retried after the next one.
            _logger.LogError(e, "Retention for {App} failed after storing {Version}", header.App, header.Version);
        }
        return new UploadReleaseResponse { Release = release, AlreadyPresent = false };
    }

    private async Task<ReleaseHeader> ReadHeaderAsync(IAsyncEnumerator<UploadReleaseRequest> messages)
    {
        if (!await messages.MoveNextAsync().ConfigureAwait(false))
            throw ReleaseErrors.InvalidArgument("the upload carried no messages; the first must be the release header");
        var first = messages.Current;
        if (first.PartCase != UploadReleaseRequest.PartOneofCase.Header)
        {
            var got = first.PartCase == UploadReleaseRequest.PartOneofCase.Chunk ? "a chunk" : "an empty message";
            throw ReleaseErrors.InvalidArgument($"the first message of an upload must be the release header, got {got}");
        }

        var header = first.Header;
        NameValidator.Require(header.App, "app");
        NameValidator.Require(header.Version, "version");
        if (header.Sha256.Length != SHA256.HashSizeInBytes * 2 || header.Sha256.AsSpan().ContainsAnyExcept(LowerHexDigits))
            throw ReleaseErrors.InvalidArgument($"sha256 {ReleaseErrors.Quote(header.Sha256)} is not 64 lowercase hex digits");
        if (header.Size == 0)
            throw ReleaseErrors.InvalidArgument("size must be greater than zero");
        if (header.Size > (ulong)_options.MaxArtifactBytes)
            throw ReleaseErrors.InvalidArgument($"size {header.Size} exceeds the largest artifact accepted, {_options.MaxArtifactBytes} bytes");
        return header;
    }

    private static void RequireSameArtifact(Release existing, ReleaseHeader header)
    {
        if (!string.Equals(existing.Sha256, header.Sha256, StringComparison.Ordinal))
            throw ReleaseErrors.AlreadyExists(
                $"release {header.App} {header.Version} already exists with sha256 {existing.Sha256}; the upload has sha256 {header.Sha256}");
        if (existing.Size != header.Size)
            throw ReleaseErrors.InvalidArgument(
                $"release {header.App} {header.Version} with sha256 {header.Sha256} is {existing.Size} bytes, but the header states {header.Size}");
    }

    private async Task ReceiveArtifactAsync(IAsyncEnumerator<UploadReleaseRequest> messages, ReleaseHeader header, string artifact, CancellationToken ct)
    {
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using (var file = new FileStream(artifact, FileMode.CreateNew, FileAccess.Write, FileShare.None,
                         bufferSize: 0, FileOptions.Asynchronous))
        {
            await ConsumeChunksAsync(messages, header, chunk =>
            {
                sha256.AppendData(chunk.Span);
                return file.WriteAsync(chunk.Memory, ct);
            }).ConfigureAwait(false);
        }

        var digest = Convert.ToHexStringLower(sha256.GetHashAndReset());
        if (!string.Equals(digest, header.Sha256, StringComparison.Ordinal))
            throw ReleaseErrors.InvalidArgument($"sha256 mismatch: the header states {header.Sha256}, the artifact received has {digest}");
    }

    private async Task ConsumeChunksAsync(IAsyncEnumerator<UploadReleaseRequest> messages, ReleaseHeader header, Func<ByteString, ValueTask> accept)
    {
        var stated = (long)header.Size;
        long received = 0;
        while (await messages.MoveNextAsync().ConfigureAwait(false))
        {
            var part = messages.Current;
            if (part.PartCase == UploadReleaseRequest.PartOneofCase.Header)
                throw ReleaseErrors.InvalidArgument("a second header arrived; only the first message of an upload may be a header");
            if (part.PartCase != UploadReleaseRequest.PartOneofCase.Chunk)
                throw ReleaseErrors.InvalidArgument("a message carried neither a header nor a chunk");

            var chunk = part.Chunk;
            if (chunk.Length > _options.MaxChunkBytes)
                throw ReleaseErrors.InvalidArgument($"a chunk of {chunk.Length} bytes exceeds the largest chunk accepted, {_options.MaxChunkBytes} bytes");
            received += chunk.Length;
            if (received > stated)
                throw ReleaseErrors.InvalidArgument($"the artifact is larger than the {stated} bytes stated in the header");
            await accept(chunk).ConfigureAwait(false);
        }
        if (received != stated)
            throw ReleaseErrors.InvalidArgument($"size mismatch: the header states {stated} bytes, the upload ended after {received}");
    }

    private Release Commit(ReleaseHeader header, string staging)
    {
        var (app, version) = (header.App, header.Version);
        var metadata = new ReleaseMetadata(app, version, header.Sha256, (long)header.Size, _time.GetUtcNow());
        var folder = ReleaseFolder(app, version);
        var discarded = new List<string>();
        try
        {
            lock (_commitLock)
            {
                // Holding the release lock, nobody else can have committed this release meanwhile,
                // so a folder here has no metadata: a leftover of an interrupted commit.
                if (Directory.Exists(folder))
                {
                    _logger.LogWarning("Discarding incomplete release folder {Folder}", folder);
                    discarded.Add(MoveToTmp(folder, "incomplete"));
                }
                Directory.CreateDirectory(AppFolder(app));
                Directory.Move(staging, folder);
                try
                {
                    WriteMetadata(metadata);
                }
                catch
                {
                    discarded.Add(MoveToTmp(folder, "uncommitted"));
                    throw;
                }
            }
        }
        finally
        {
            foreach (var path in discarded) DeleteDiscarded(path);
        }
        return ToRelease(metadata);
    }

    private void ApplyRetention(string app, string? protectedVersion)
    {
        var keep = Math.Max(_options.KeepReleases, 0);
        var discarded = new List<string?>();
        lock (_commitLock)
        {
            var surplus = ReadableMetadataOf(app)
                .OrderByDescending(m => m.CreatedAt)
                .ThenByDescending(m => m.Version, StringComparer.Ordinal)
                .Skip(keep);
            foreach (var release in surplus)
            {
                if (release.Version == protectedVersion) continue;
                if (_usage.RunningInstances(app, release.Version) > 0)
                {
                    _logger.LogDebug("Retention keeps {App} {Version}: it has running instances", app, release.Version);
                    continue;
                }
                discarded.Add(Uncommit(app, release.Version));
                _logger.LogInformation("Retention removed release {App} {Version} (keeping {Keep} per app)", app, release.Version, keep);
            }
        }
        foreach (var folder in discarded) DeleteDiscarded(folder);
    }

    /// <summary>
    /// Takes a release out of the committed layout: metadata first, so that an interruption leaves
    /// only a folder without metadata. Returns the folder's new place in .tmp for deletion outside
    /// the commit lock, or null when there was no folder. Call with the commit lock held.
    /// </summary>
    private string? Uncommit(string app, string version)
    {
        File.Delete(MetadataFile(app, version));
        var folder = ReleaseFolder(app, version);
        var moved = Directory.Exists(folder) ? MoveToTmp(folder, "removed") : null;

        var appFolder = AppFolder(app);
        if (Directory.Exists(appFolder) && !Directory.EnumerateFileSystemEntries(appFolder).Any())
            Directory.Delete(appFolder);
        return moved;
    }

    private string MoveToTmp(string folder, string reason)
    {
        Directory.CreateDirectory(_tmp);
        var destination = Path.Combine(_tmp, $"{reason}_{Guid.NewGuid():N}");
        Directory.Move(folder, destination);
        return destination;
    }

    private void DeleteDiscarded(string? folder)
    {
        if (folder is null) return;
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Already out of the committed layout; the next start empties .tmp again.
            _logger.LogWarning(e, "Could not delete {Folder}; it will be deleted at the next start", folder);
        }
    }

    private void DeleteQuietly(string path)
    {
        try
        {
            if (File.Exists(path)) File.Delete(path);
            else if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Must not hide the exception that got us here; the next start empties .tmp again.
            _logger.LogWarning(e, "Could not delete {Path}; it will be deleted at the next start", path);
        }
    }

    private void WriteMetadata(ReleaseMetadata metadata)
    {
        var temporary = Path.Combine(_tmp, $"{metadata.App}_{metadata.Version}_{Guid.NewGuid():N}{MetadataSuffix}");
        using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(file, metadata, ReleaseJsonContext.Default.ReleaseMetadata);
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, MetadataFile(metadata.App, metadata.Version), overwrite: true);
    }

    private ReleaseMetadata? ReadMetadata(string app, string version)
    {
        var path = MetadataFile(app, version);
        if (!Directory.Exists(ReleaseFolder(app, version))) return null;
        ReleaseMetadata? metadata;
        try
        {
            using var file = File.OpenRead(path);
            metadata = JsonSerializer.Deserialize(file, ReleaseJsonContext.Default.ReleaseMetadata);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null; // not committed yet, or removed while we looked
        }
        catch (JsonException e)
        {
            throw ReleaseErrors.DataLoss($"release metadata {path} is unreadable: {e.Message}");
        }
        if (metadata is null || metadata.App != app || metadata.Version != version)
            throw ReleaseErrors.DataLoss($"release metadata {path} does not describe release {app} {version}");
        return metadata;
    }

    /// <summary>The app's committed releases; one with unreadable metadata is logged and left out, never deleted.</summary>
    private List<ReleaseMetadata> ReadableMetadataOf(string app)
    {
        var appFolder = AppFolder(app);
        var found = new List<ReleaseMetadata>();
        if (!Directory.Exists(appFolder)) return found;
        foreach (var version in VersionsWithMetadata(appFolder))
        {
            try
            {
                if (ReadMetadata(app, version) is { } metadata) found.Add(metadata);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.DataLoss)
            {
                _logger.LogError("Skipping release {App} {Version}: {Detail}", app, version, e.Status.Detail);
            }
        }
        return found;
    }

    private static IEnumerable<string> VersionsWithMetadata(string appFolder) =>
        Directory.EnumerateFiles(appFolder, "." + "*" + MetadataSuffix)
            .Select(path => Path.GetFileName(path)[1..^MetadataSuffix.Length])
            .Where(NameValidator.IsValid);

    private Release ToRelease(ReleaseMetadata metadata) => new()
    {
        App = metadata.App,
        Version = metadata.Version,
        Sha256 = metadata.Sha256,
        Size = (ulong)metadata.Size,
        Path = ReleaseFolder(metadata.App, metadata.Version),
        CreatedAt = Timestamp.FromDateTimeOffset(metadata.CreatedAt),
        RunningInstances = (uint)Math.Max(0, _usage.RunningInstances(metadata.App, metadata.Version)),
    };

    /// <summary>
    /// Empties .tmp (half-received artifacts, half-unpacked folders, folders removed but not yet
    /// deleted) and deletes whatever an interrupted commit or removal left half in place.
    /// </summary>
    private void DeleteInterruptedWork()
    {
        if (Directory.Exists(_tmp))
        {
            _logger.LogInformation("Deleting leftovers of interrupted uploads in {Tmp}", _tmp);
            Directory.Delete(_tmp, recursive: true);
        }
        Directory.CreateDirectory(_tmp);

        foreach (var appFolder in Directory.EnumerateDirectories(_root))
        {
            var app = Path.GetFileName(appFolder);
            if (!NameValidator.IsValid(app)) continue;

            foreach (var folder in Directory.EnumerateDirectories(appFolder))
            {
                var version = Path.GetFileName(folder);
                if (!NameValidator.IsValid(version) || File.Exists(MetadataFile(app, version))) continue;
                _logger.LogWarning("Deleting {Folder}: its upload or removal was interrupted", folder);
                Directory.Delete(folder, recursive: true);
            }
            foreach (var version in VersionsWithMetadata(appFolder).ToList())
            {
                if (Directory.Exists(ReleaseFolder(app, version))) continue;
                _logger.LogWarning("Deleting metadata of {App} {Version}: its folder is missing", app, version);
                File.Delete(MetadataFile(app, version));
            }
        }
    }

    private string AppFolder(string app) => Path.Combine(_root, app);
    private string ReleaseFolder(string app, string version) => Path.Combine(_root, app, version);
    private string MetadataFile(string app, string version) => Path.Combine(_root, app, "." + version + MetadataSuffix);
}
