using System;
using System.IO;
using System.Security.Cryptography;

namespace Strider.IO;

/// <summary>
/// Replaces a file all at once: readers and crashes see the old file or the new one, never a part. Weights, pictures
/// and checkpoints are written through it.
/// </summary>
internal static class AtomicFile
{
    /// <summary>
    /// Writes <paramref name="path"/> through <paramref name="write"/>: into a new temporary file of a unique name in the
    /// same folder (created exclusively, so a file or link planted there is never followed or overwritten), flushed to
    /// disk, then renamed over <paramref name="path"/>. On any failure the existing file is left as it was and the
    /// temporary file is deleted. Concurrent writers to one path each finish; the last rename wins.
    /// </summary>
    internal static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' names no file.", nameof(path));
        string name = Path.GetFileName(full);
        if (name.Length == 0) throw new ArgumentException($"'{path}' names a folder, not a file.", nameof(path));

        // Hidden, unpredictable and in the same folder, so the final rename stays on one file system and is atomic.
        string temp = Path.Combine(folder, $".{name}.{Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant()}.tmp");
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
        };
        if (!OperatingSystem.IsWindows() && ExistingPermissions(full) is UnixFileMode mode)
            options.UnixCreateMode = mode;

        // Outside the try: when this throws, nothing of ours exists to delete (a name taken is someone else's file).
        var stream = new FileStream(temp, options);
        try
        {
            using (stream)
            {
                write(stream);
                if (stream.CanWrite) stream.Flush(flushToDisk: true);
            }
            // A writer that wrapped the stream may have closed it (a GZipStream without leaveOpen): flush through a new handle.
            if (!stream.CanWrite) FlushToDisk(temp);
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            // The old file is untouched until the rename; only the temporary file needs removing.
            try { File.Delete(temp); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    private static void FlushToDisk(string file)
    {
        using var again = new FileStream(file, FileMode.Open, FileAccess.Write, FileShare.None);
        again.Flush(flushToDisk: true);
    }

    /// <summary>The replaced file's read/write/execute bits, so a replacement keeps who may read it; null when there is none.</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static UnixFileMode? ExistingPermissions(string path)
    {
        try
        {
            return File.Exists(path) ? File.GetUnixFileMode(path) & (UnixFileMode)0x1FF : null;
        }
        catch (IOException)
        {
            return null; // removed meanwhile (another writer's rename): the default mode will do
        }
    }
}
