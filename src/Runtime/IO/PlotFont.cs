using System;
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

    // DejaVu Sans ships with most Linux images; any TrueType font after the preferred ones.
    private static readonly string[] Preferred = ["DejaVuSans.ttf", "LiberationSans-Regular.ttf", "FreeSans.ttf"];

    /// <summary>Sets the plot's font to the one found (nothing to do where the platform's default font works).</summary>
    public static void Apply(Plot plot)
    {
        if (Name.Value is { } name) plot.Font.Set(name);
    }

    private static string? Find()
    {
        if (SKTypeface.Default.GlyphCount > 0) return null;
        string? regular = FontFiles.Find(Preferred, _ => true)
            ?? throw new InvalidOperationException(
                "No font for plot text: SkiaSharp lists no system fonts here and no .ttf file is under " + string.Join(", ", FontFiles.Folders) +
                ". Install one (e.g. apt-get install fonts-dejavu-core).");
        Fonts.AddFontFile(Registered, regular, bold: false, italic: false);
        string bold = regular.Replace("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", StringComparison.Ordinal);
        if (bold != regular && FontFiles.HasGlyphs(bold)) Fonts.AddFontFile(Registered, bold, bold: true, italic: false);
        return Registered;
    }
}
