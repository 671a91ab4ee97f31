using System;
using System.IO;
using System.Linq;
using ScottPlot;
using SkiaSharp;

namespace Strider.IO;

/// <summary>
/// Finds a typeface for plot text. SkiaSharp's Linux assets without dependencies have no font manager (its default
/// typeface has no glyphs, so every label would be blank): there a TrueType file from the usual font folders is
/// registered with ScottPlot by name. Elsewhere the platform's default font is used.
/// </summary>
internal static class PlotFont
{
    private const string Registered = "Strider Plot Sans";
    private static readonly Lazy<string?> Name = new(Find);

    // Preferred files first (DejaVu Sans ships with most Linux images), then any TrueType font.
    private static readonly string[] Preferred =
    [
        "truetype/dejavu/DejaVuSans.ttf", "dejavu/DejaVuSans.ttf", "TTF/DejaVuSans.ttf",
        "truetype/liberation/LiberationSans-Regular.ttf", "truetype/freefont/FreeSans.ttf",
    ];

    private static readonly string[] Folders =
    [
        "/usr/share/fonts", "/usr/local/share/fonts",
        System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".fonts"),
        System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local/share/fonts"),
    ];

    /// <summary>Sets the plot's font to the one found (nothing to do where the platform's default font works).</summary>
    public static void Apply(Plot plot)
    {
        if (Name.Value is { } name) plot.Font.Set(name);
    }

    private static string? Find()
    {
        if (SKTypeface.Default.GlyphCount > 0) return null;
        string? regular = Candidates().FirstOrDefault(IsUsable)
            ?? throw new InvalidOperationException(
                "No font for plot text: SkiaSharp lists no system fonts here and no .ttf file is under " + string.Join(", ", Folders) +
                ". Install one (e.g. apt-get install fonts-dejavu-core).");
        Fonts.AddFontFile(Registered, regular, bold: false, italic: false);
        string bold = regular.Replace("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", StringComparison.Ordinal);
        if (bold != regular && IsUsable(bold)) Fonts.AddFontFile(Registered, bold, bold: true, italic: false);
        return Registered;
    }

    private static System.Collections.Generic.IEnumerable<string> Candidates()
    {
        foreach (var folder in Folders)
            foreach (var file in Preferred)
                yield return System.IO.Path.Combine(folder, file);
        foreach (var folder in Folders.Where(Directory.Exists))
            foreach (var file in Directory.EnumerateFiles(folder, "*.ttf", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                yield return file;
    }

    private static bool IsUsable(string path)
    {
        if (!File.Exists(path)) return false;
        using var typeface = SKTypeface.FromFile(path);
        return typeface is not null && typeface.GlyphCount > 0;
    }
}
