using System;
using System.IO;

namespace Strider.IO;

/// <summary>Writes a file so that readers see the old contents or the new, never a part: a unique temporary file in the same folder, flushed to disk, then renamed over the target.</summary>
internal static class AtomicFile
{
    /// <summary>Calls <paramref name="write"/> on a new temporary file beside <paramref name="path"/> and renames it into place; on any failure the temporary file is deleted and the existing file is left intact.</summary>
    internal static void Write(string path, Action<Stream> write)
    {
        if (path is null) throw new ArgumentNullException(nameof(path));
        if (write is null) throw new ArgumentNullException(nameof(write));
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' has no folder.", nameof(path));
        // A random name created with CreateNew never follows a planted file or link and never collides with another writer.
        string temp = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }
}
