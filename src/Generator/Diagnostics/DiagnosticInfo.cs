using Strider.Generator.Model;

namespace Strider.Generator.Diagnostics;

/// <summary>A diagnostic as plain values: the descriptor's id, where, and its message arguments already as strings.</summary>
internal sealed record DiagnosticInfo(string Id, SourceSpan Span, EquatableArray<string> Arguments)
{
    /// <summary>What a code fix needs (see <see cref="InputSizeProperties"/>), as Roslyn diagnostic properties.</summary>
    public EquatableArray<DiagnosticProperty> Properties { get; init; } = EquatableArray<DiagnosticProperty>.Empty;

    public static DiagnosticInfo Create(string id, SourceSpan span, params object[] args)
    {
        var strings = new string[args.Length];
        for (int i = 0; i < args.Length; i++)
            strings[i] = System.Convert.ToString(args[i], System.Globalization.CultureInfo.InvariantCulture) ?? "";
        return new DiagnosticInfo(id, span, strings);
    }
}

/// <summary>One key/value of a diagnostic's properties.</summary>
internal readonly record struct DiagnosticProperty(string Key, string Value);

/// <summary>Property keys of the input-size diagnostics (STR0001, STR0002) that the code fixes read.</summary>
internal static class InputSizeProperties
{
    /// <summary>Index of the offending size among the [Input] dims (1 = H or L, 2 = W).</summary>
    public const string Dim = "Strider.Dim";

    /// <summary>The declared size.</summary>
    public const string Size = "Strider.Size";

    /// <summary>Nearest valid size below the declared one (absent when none).</summary>
    public const string Below = "Strider.Below";

    /// <summary>Nearest valid size above the declared one (absent when none).</summary>
    public const string Above = "Strider.Above";

    /// <summary>Every [Input] dim with each offending size replaced by its lower neighbour, comma-separated (absent when one has none).</summary>
    public const string AllBelow = "Strider.AllBelow";

    /// <summary>Every [Input] dim with each offending size replaced by its upper neighbour, comma-separated (absent when one has none).</summary>
    public const string AllAbove = "Strider.AllAbove";

    /// <summary>The arguments of a [Pad] that pads every offending axis at its end up to its upper neighbour, comma-separated.</summary>
    public const string Pad = "Strider.Pad";
}

/// <summary>Property keys of STR0023 (a layer that reaches no output) that the code fixes read.</summary>
internal static class OutputProperties
{
    /// <summary>The layer's name (declared or generated).</summary>
    public const string Layer = "Strider.Layer";

    /// <summary>Every name the [Output] would list with the layer added, comma-separated (absent when adding it is not a valid [Output]).</summary>
    public const string Outputs = "Strider.Outputs";

    /// <summary>Present when another layer that reaches no output reads this one: adding that reader to [Output] reaches this one too.</summary>
    public const string FeedsUnreachable = "Strider.FeedsUnreachable";
}
