using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace Strider.Generator.Diagnostics;

/// <summary>The one catalogue of Strider diagnostics. Each has a help page at docs/diagnostics/{id}.md.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "Strider.Shapes";
    internal const string HelpRoot = "https://github.com/strider-nn/strider/blob/main/docs/diagnostics/";

    private static DiagnosticDescriptor Make(string id, string title, string format, DiagnosticSeverity severity) =>
        new(id, title, format, Category, severity, isEnabledByDefault: true, helpLinkUri: HelpRoot + id + ".md");

    /// <summary>{0} input size, {1} axis, {2} layer, {3} lost count, {4} layer's input size, {5} formula, {6} valid set, {7} nearest sizes, {8} fix.</summary>
    public static readonly DiagnosticDescriptor InputLosesPixels = Make("STR0001", "Input size leaves pixels unread",
        "The input size {0} on axis {1} loses input at layer '{2}': its windows leave the last {3} of {4} values unread ({5}). Valid sizes are {6}; the nearest are {7}. {8}",
        DiagnosticSeverity.Warning);

    /// <summary>{0} input size, {1} axis, {2} merge, {3} first input, {4} its size, {5} second input, {6} its size, {7} the valid and nearest sizes and the fix, or why no size fits.</summary>
    public static readonly DiagnosticDescriptor MergeMismatch = Make("STR0002", "Merge of unequal sizes",
        "The input size {0} on axis {1} does not fit: the merge '{2}' gets {4} from '{3}' and {6} from '{5}'. {7}",
        DiagnosticSeverity.Error);

    /// <summary>{0} merge or layer, {1} details.</summary>
    public static readonly DiagnosticDescriptor ChannelMismatch = Make("STR0003", "Channel mismatch",
        "Layer '{0}': {1}", DiagnosticSeverity.Error);

    /// <summary>{0} deconv, {1} conv, {2} details.</summary>
    public static readonly DiagnosticDescriptor TiedWeightsMismatch = Make("STR0004", "Tied weights do not fit",
        "Deconv '{0}' cannot tie its weights to '{1}': {2}", DiagnosticSeverity.Error);

    /// <summary>{0} layer, {1} the option, {2} the unknown name, {3} known names.</summary>
    public static readonly DiagnosticDescriptor UnknownName = Make("STR0005", "Unknown layer name",
        "Layer '{0}': {1} names '{2}', which no earlier layer or input has. Known names: {3}.", DiagnosticSeverity.Error);

    /// <summary>{0} layer, {1} the name, {2} explanation.</summary>
    public static readonly DiagnosticDescriptor Cycle = Make("STR0006", "Cycle or forward reference",
        "Layer '{0}' takes '{1}' as input, {2}: layers may only read outputs declared before them, so the network would have a cycle", DiagnosticSeverity.Error);

    /// <summary>{0} layer, {1} axis, {2} its input size, {3} formula, {4} smallest input that works (or reason).</summary>
    public static readonly DiagnosticDescriptor DimensionTooSmall = Make("STR0007", "Dimension shrinks below 1",
        "Layer '{0}' gets size {2} on axis {1}, too small for its window ({3}) so its output would be empty. {4}", DiagnosticSeverity.Error);

    /// <summary>{0} layer, {1} problem.</summary>
    public static readonly DiagnosticDescriptor InvalidArgument = Make("STR0008", "Invalid layer argument",
        "Layer '{0}': {1}", DiagnosticSeverity.Error);

    /// <summary>{0} dense layer, {1} input shape, {2} rows it will compute.</summary>
    public static readonly DiagnosticDescriptor DenseAfterSpatial = Make("STR0009", "Dense after a spatial layer without Flatten",
        "Dense '{0}' gets {1} and works on the last axis only, as a 1x1 layer per position ({2}). Add [Flatten] before it for a fully connected layer over all values.",
        DiagnosticSeverity.Warning);

    /// <summary>{0} reshape, {1} from shape, {2} to shape, {3} the permute that would move axes.</summary>
    public static readonly DiagnosticDescriptor ReshapeReorders = Make("STR0010", "Reshape that looks like a transpose",
        "Reshape '{0}' turns {1} into {2}, which reinterprets the memory and mixes values across axes. Did you mean [Permute({3})]?",
        DiagnosticSeverity.Warning);

    /// <summary>{0} axis, {1} explanation.</summary>
    public static readonly DiagnosticDescriptor NoValidInputSize = Make("STR0011", "No valid input size",
        "No size on the free axis {0} works: {1}", DiagnosticSeverity.Error);

    /// <summary>{0} layer, {1} kind.</summary>
    public static readonly DiagnosticDescriptor FreeDimensionNotSupported = Make("STR0012", "Free dimension reaches a layer that needs fixed sizes",
        "Layer '{0}' ({1}) needs fixed sizes, but its input still has a free (Dim.Any) dimension. Declare the input size, or end the free part with [GlobalAvgPool] or [GlobalMaxPool] (or [AdaptiveAvgPool(h, w)]), which give a fixed size from any input size.",
        DiagnosticSeverity.Error);

    /// <summary>{0} class, {1} problem.</summary>
    public static readonly DiagnosticDescriptor InvalidNetworkClass = Make("STR0013", "Network class cannot be generated",
        "Network '{0}' {1}", DiagnosticSeverity.Error);

    /// <summary>{0} class, {1} problem.</summary>
    public static readonly DiagnosticDescriptor InvalidInput = Make("STR0014", "Missing or invalid input",
        "Network '{0}': {1}", DiagnosticSeverity.Error);

    /// <summary>{0} the name, {1} where else.</summary>
    public static readonly DiagnosticDescriptor DuplicateName = Make("STR0015", "Duplicate layer name",
        "The name '{0}' is already used by {1}; every output name must be unique", DiagnosticSeverity.Error);

    /// <summary>{0} unpool, {1} pool, {2} problem.</summary>
    public static readonly DiagnosticDescriptor UnpoolMismatch = Make("STR0016", "MaxUnpool does not fit its pool",
        "MaxUnpool '{0}' cannot invert '{1}': {2}", DiagnosticSeverity.Error);

    /// <summary>{0} axis, {1} valid set, {2} receptive field and stride text.</summary>
    public static readonly DiagnosticDescriptor ValidSizesInfo = Make("STR0017", "Valid input sizes",
        "Free axis {0} accepts sizes {1}{2}", DiagnosticSeverity.Info);

    /// <summary>{0} layer, {1} explanation.</summary>
    public static readonly DiagnosticDescriptor UnsupportedLayout = Make("STR0018", "Layer does not fit the data's layout",
        "Layer '{0}': {1}", DiagnosticSeverity.Error);

    /// <summary>{0} class, {1} layer, {2} its kind, {3} why it breaks the stride-1 rewrite and what to do.</summary>
    public static readonly DiagnosticDescriptor NoDenseVariant = Make("STR0019", "No dense (stride-1) variant",
        "Network '{0}' asks for a dense variant (Dense = true), but layer '{1}' ({2}) {3}", DiagnosticSeverity.Error);

    /// <summary>{0} class, {1} the user's member, {2} the generated member it collides with and the fix.</summary>
    public static readonly DiagnosticDescriptor MemberConflict = Make("STR0020", "Member collides with a generated member",
        "Network '{0}' declares {1}, which the generator writes itself ({2})", DiagnosticSeverity.Error);

    /// <summary>{0} class, {1} base class, {2} problem and fix.</summary>
    public static readonly DiagnosticDescriptor BaseClassConflict = Make("STR0021", "Base class does not fit a network",
        "Network '{0}' derives from '{1}', which {2}", DiagnosticSeverity.Error);

    /// <summary>{0} class, {1} the problem with an [Output] name and the fix.</summary>
    public static readonly DiagnosticDescriptor InvalidOutput = Make("STR0022", "Invalid [Output]",
        "Network '{0}': {1}", DiagnosticSeverity.Error);

    /// <summary>{0} layer, {1} class.</summary>
    public static readonly DiagnosticDescriptor UnreachableLayer = Make("STR0023", "Layer reaches no output",
        "'{0}' reaches no output of {1}: it is computed and stored for nothing; remove it, or add it to [Output]", DiagnosticSeverity.Warning);

    /// <summary>{0} class, {1} exception type and message.</summary>
    public static readonly DiagnosticDescriptor InternalError = Make("STR0099", "Strider could not analyse this network",
        "Strider could not analyse network '{0}': {1}. Please report this with the declaration.", DiagnosticSeverity.Error);

    public static readonly ImmutableArray<DiagnosticDescriptor> All = ImmutableArray.Create(
        InputLosesPixels, MergeMismatch, ChannelMismatch, TiedWeightsMismatch, UnknownName, Cycle, DimensionTooSmall,
        InvalidArgument, DenseAfterSpatial, ReshapeReorders, NoValidInputSize, FreeDimensionNotSupported,
        InvalidNetworkClass, InvalidInput, DuplicateName, UnpoolMismatch, ValidSizesInfo, UnsupportedLayout, NoDenseVariant,
        MemberConflict, BaseClassConflict, InvalidOutput, UnreachableLayer, InternalError);

    /// <summary>Errors are reported by the generator (every host that runs it shows them); the analyzer adds the rest.</summary>
    public static bool IsError(string id) => ById(id).DefaultSeverity == DiagnosticSeverity.Error;

    /// <summary>The message of <paramref name="info"/> as a host would show it.</summary>
    public static string Message(DiagnosticInfo info) =>
        string.Format(System.Globalization.CultureInfo.InvariantCulture, ById(info.Id).MessageFormat.ToString(System.Globalization.CultureInfo.InvariantCulture),
            info.Arguments.Cast<object>().ToArray());

    /// <summary>The Roslyn diagnostic of <paramref name="info"/> at <paramref name="location"/>, with its code-fix properties.</summary>
    public static Diagnostic ToDiagnostic(DiagnosticInfo info, Location location)
    {
        ImmutableDictionary<string, string?>? properties = null;
        if (info.Properties.Count > 0)
        {
            var builder = ImmutableDictionary.CreateBuilder<string, string?>();
            foreach (var p in info.Properties) builder[p.Key] = p.Value;
            properties = builder.ToImmutable();
        }
        return Diagnostic.Create(ById(info.Id), location, properties, info.Arguments.Cast<object>().ToArray());
    }

    private static readonly Dictionary<string, DiagnosticDescriptor> s_byId = Index();

    public static DiagnosticDescriptor ById(string id) => s_byId[id];

    private static Dictionary<string, DiagnosticDescriptor> Index()
    {
        var map = new Dictionary<string, DiagnosticDescriptor>();
        foreach (var d in All) map[d.Id] = d;
        return map;
    }
}
