using Strider.Generator.Model;

namespace Strider.Generator.Diagnostics;

/// <summary>A diagnostic as plain values: the descriptor's id, where, and its message arguments already as strings.</summary>
internal sealed record DiagnosticInfo(string Id, SourceSpan Span, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(string id, SourceSpan span, params object[] args)
    {
        var strings = new string[args.Length];
        for (int i = 0; i < args.Length; i++)
            strings[i] = System.Convert.ToString(args[i], System.Globalization.CultureInfo.InvariantCulture) ?? "";
        return new DiagnosticInfo(id, span, strings);
    }
}
