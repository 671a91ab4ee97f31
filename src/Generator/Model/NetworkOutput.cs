namespace Strider.Generator.Model;

/// <summary>
/// A [Network] class as parsed (the value of the parse step's <see cref="Result{T}"/>, which is null only when not even
/// the class's identity could be read). <see cref="Emittable"/> is false when the class itself is unusable (not partial,
/// a struct, a member that collides with generated code, ...), so that writing its generated half would only add C# errors.
/// </summary>
internal sealed record ParsedNetwork(NetworkSpec Spec, bool Emittable);

/// <summary>
/// What the generator writes for one network: the generated class of a valid plan, or for an invalid one a class with
/// the same public members that throw (so that the STR errors are the only errors at the use sites).
/// </summary>
internal sealed record NetworkOutput(NetworkPlan? Plan, InvalidNetworkPlan? Invalid)
{
    public string HintName => Plan?.HintName ?? Invalid!.HintName;

    public string ClassName => Plan?.ClassName ?? Invalid!.ClassName;
}

/// <summary>
/// An invalid network's class: its identity, the declared input shape when [Input] itself is valid (used for both the
/// input and the output type, since the output shape is unknown; empty when the input is unusable too, and then Forward
/// and Backward are generic over the shape), and the first error, which every member throws.
/// </summary>
internal sealed record InvalidNetworkPlan(
    string Namespace,
    string ClassName,
    string Accessibility,
    string HintName,
    EquatableArray<ContainingType> Containers,
    EquatableArray<int> InputDims,
    string InputName,
    string DiagnosticId,
    string Message,
    string HelpLink)
{
    /// <summary>A Dropout layer is declared: a valid network would have DropoutStep.</summary>
    public bool HasDropout { get; init; }

    /// <summary>[Network(Dense = true)]: a valid network would have ForwardDense.</summary>
    public bool Dense { get; init; }

    /// <summary>
    /// The second and later [Input]s when every [Input] makes a shape type: Forward then takes one tensor per input and
    /// Backward returns the input-gradients record, as the valid network would (empty otherwise).
    /// </summary>
    public EquatableArray<InvalidInput> ExtraInputs { get; init; } = EquatableArray<InvalidInput>.Empty;

    /// <summary>
    /// The [Output] names when there are several that make distinct record properties and the input makes a shape type:
    /// Forward then returns the outputs record and Backward takes one gradient per output (empty otherwise).
    /// </summary>
    public EquatableArray<string> OutputNames { get; init; } = EquatableArray<string>.Empty;
}

/// <summary>One more [Input] of an invalid network: its name and dims (Dim.Any as -1).</summary>
internal sealed record InvalidInput(string Name, EquatableArray<int> Dims);

/// <summary>Hint names of generated files: always valid file names, and distinct for distinct classes.</summary>
internal static class HintNames
{
    /// <summary>
    /// "Namespace.Class.g.cs" for a plain top-level class; a nested, generic or file-local class (metadata names such as
    /// "&lt;Net_cs&gt;F1A2__Net" or "Outer+Inner`1") has its other characters replaced by '_' and a hash of the exact
    /// metadata name appended, so that "A.B+C" and "A.B.C" do not collide.
    /// </summary>
    /// <param name="metadataName">The class's full metadata name.</param>
    /// <param name="caseTwin">Another type in the same container has the same name but for case: hint names compare
    /// ignoring case, so both get the hash (a twin added later sees this one and takes the hash itself).</param>
    public static string For(string metadataName, bool caseTwin = false)
    {
        var text = new System.Text.StringBuilder(metadataName.Length);
        bool plain = true;
        foreach (char c in metadataName)
        {
            bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
            text.Append(keep ? c : c == '+' ? '.' : '_');
            plain &= keep;
        }
        if (!plain || caseTwin) text.Append('.').Append(Hash(metadataName).ToString("X8", System.Globalization.CultureInfo.InvariantCulture));
        return text.Append(".g.cs").ToString();
    }

    /// <summary>FNV-1a over the UTF-16 code units: stable across runs and processes (string.GetHashCode is not).</summary>
    private static uint Hash(string s)
    {
        uint h = 2166136261;
        foreach (char c in s) { h ^= c; h *= 16777619; }
        return h;
    }
}
