using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using SkiaSharp;

namespace Strider.IO;

/// <summary>
/// TrueType files in the usual font folders, for text where SkiaSharp's Linux assets without dependencies have no font
/// manager to ask (plots and the diagram PNG).
/// </summary>
internal static class FontFiles
{
    /// <summary>Where Linux keeps font files.</summary>
    public static readonly string[] Folders =
    [
        "/usr/share/fonts", "/usr/local/share/fonts",
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share", "fonts"),
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".fonts"),
    ];

    /// <summary>
    /// The first file with glyphs: files named as in <paramref name="preferred"/> (in that order), then the files each of
    /// <paramref name="tiers"/> accepts (tier by tier, in ordinal order of path); null if there is none.
    /// </summary>
    public static string? Find(IReadOnlyList<string> preferred, params Func<string, bool>[] tiers)
    {
        var files = new List<string>();
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, MatchCasing = MatchCasing.CaseInsensitive };
        foreach (string folder in Folders)
            if (Directory.Exists(folder)) files.AddRange(Directory.EnumerateFiles(folder, "*.ttf", options));
        files.Sort(StringComparer.Ordinal);
        var ordered = preferred.SelectMany(name => files.Where(f => Path.GetFileName(f).Equals(name, StringComparison.OrdinalIgnoreCase)))
            .Concat(tiers.SelectMany(accept => files.Where(f => accept(Path.GetFileName(f)))));
        return ordered.FirstOrDefault(HasGlyphs);
    }

    /// <summary>True when the file is a typeface SkiaSharp can draw text with.</summary>
    public static bool HasGlyphs(string path)
    {
        if (!File.Exists(path)) return false;
        using var typeface = SKTypeface.FromFile(path);
        return typeface is not null && typeface.GlyphCount > 0;
    }
}
