namespace Strider.Generator.Model;

/// <summary>A source span (in the declaring syntax tree) of an attribute or one of its arguments, for diagnostics.</summary>
internal readonly record struct SourceSpan(string Path, int Start, int Length)
{
    public static readonly SourceSpan None = new("", 0, 0);
    public bool IsNone => Length == 0;
}

/// <summary>Where an attribute argument is, by key: "" the whole attribute, "0".."n" positional (params expanded), or a property name.</summary>
internal readonly record struct ArgSpan(string Key, SourceSpan Span);

/// <summary>One layer attribute as declared, arguments as plain values (no Roslyn types), unset values as defaults.</summary>
internal sealed record LayerSpec(
    Layers.LayerRule Rule,
    int Index,
    string? Name,
    string? From,
    int Filters,
    EquatableArray<int> Kernel,
    int Stride,
    EquatableArray<int> Strides,
    int Dilation,
    EquatableArray<int> Dilations,
    int Padding,
    int Pad,
    EquatableArray<int> Pads,
    bool Bias,
    int OutputPadding,
    string? TiedTo,
    bool CeilMode,
    bool KeepSwitches,
    string? Switches,
    int Units,
    EquatableArray<int> Ints,
    EquatableArray<string> Inputs,
    double Rate,
    double Alpha,
    double Epsilon,
    double Momentum,
    double Min,
    double Max,
    EquatableArray<ArgSpan> Spans)
{
    public LayerKind Kind => Rule.Kind;

    /// <summary>
    /// Every numeric argument by name (a constructor parameter's name, or a property's), so a rule can read its own
    /// (an activation's parameters) without a field here.
    /// </summary>
    public EquatableArray<NamedNumber> Numbers { get; init; } = EquatableArray<NamedNumber>.Empty;

    /// <summary>
    /// The name the layer gets when <see cref="Name"/> is not written, decided by the parser: a prefix numbered per prefix
    /// (<c>conv1</c>, <c>bn2</c>), inside a block instance after its path (<c>layer1.0.relu1</c>).
    /// </summary>
    public string? AutoName { get; init; }

    /// <summary>The block instances the layer was inlined from, outermost first (empty for a layer of the network itself).</summary>
    public EquatableArray<BlockGroup> Groups { get; init; } = EquatableArray<BlockGroup>.Empty;

    /// <summary>The numeric argument <paramref name="key"/>, or <paramref name="unset"/> when it is not written.</summary>
    public double Number(string key, double unset)
    {
        foreach (var n in Numbers) if (n.Key == key) return n.Value;
        return unset;
    }

    public SourceSpan SpanOf(string key)
    {
        foreach (var s in Spans) if (s.Key == key) return s.Span;
        foreach (var s in Spans) if (s.Key == "") return s.Span;
        return SourceSpan.None;
    }
}

/// <summary>One use of a block: its instance path (<c>layer2.0</c>), the block's name and its parameters as the Summary shows them.</summary>
internal sealed record BlockGroup(string Path, string Block, string Parameters);

/// <summary>A numeric attribute argument: a constructor parameter's or a property's name, and its value.</summary>
internal readonly record struct NamedNumber(string Key, double Value);

/// <summary>The [Input] attribute: dims without batch (-1 = Dim.Any) and the input's name.</summary>
internal sealed record InputSpec(EquatableArray<int> Dims, string Name, EquatableArray<ArgSpan> Spans)
{
    public SourceSpan SpanOf(string key)
    {
        foreach (var s in Spans) if (s.Key == key) return s.Span;
        foreach (var s in Spans) if (s.Key == "") return s.Span;
        return SourceSpan.None;
    }
}

/// <summary>The [Output] attribute: the output layers' names in order, and where each is written ("0".."n", "" the attribute).</summary>
internal sealed record OutputSpec(EquatableArray<string> Names, EquatableArray<ArgSpan> Spans)
{
    public SourceSpan SpanOf(string key)
    {
        foreach (var s in Spans) if (s.Key == key) return s.Span;
        foreach (var s in Spans) if (s.Key == "") return s.Span;
        return SourceSpan.None;
    }
}

/// <summary>A containing type of a nested network class, outermost first.</summary>
internal sealed record ContainingType(string Keyword, string Name);

/// <summary>A [Network] class as parsed: where it lives and its layers in source order.</summary>
internal sealed record NetworkSpec(
    string Namespace,
    string ClassName,
    string Accessibility,
    string MetadataName,
    EquatableArray<ContainingType> Containers,
    InputSpec? Input,
    EquatableArray<LayerSpec> Layers,
    SourceSpan ClassNameSpan)
{
    /// <summary>[Network(Dense = true)]: generate the dense (stride-1) variant too.</summary>
    public bool Dense { get; init; }

    /// <summary>The user's class has a base class of its own, so the generated half cannot derive from NetworkBase.</summary>
    public bool HasUserBase { get; init; }

    /// <summary>[Output("a", "b")]: the layers the network returns; null when absent (the last layer is the output).</summary>
    public OutputSpec? Output { get; init; }

    /// <summary>The generated file's name (see <see cref="HintNames"/>).</summary>
    public string HintName { get; init; } = HintNames.For(MetadataName);

    /// <summary>The user's own Forward, Backward and BackwardParameters taking one tensor: they collide with the generated ones when the shape is the same.</summary>
    public EquatableArray<TensorOverload> TensorOverloads { get; init; } = EquatableArray<TensorOverload>.Empty;

    /// <summary>The user's other members by name: each collides when the generated class declares a member of that name (the pipeline decides once it is planned).</summary>
    public EquatableArray<UserMember> UserMembers { get; init; } = EquatableArray<UserMember>.Empty;

    /// <summary>Where Dense = true is written (or the [Network] attribute), for diagnostics about the whole network.</summary>
    public SourceSpan DenseSpan { get; init; } = SourceSpan.None;

    /// <summary>The [Input] attributes after the first (<see cref="Input"/>), in declaration order.</summary>
    public EquatableArray<InputSpec> ExtraInputs { get; init; } = EquatableArray<InputSpec>.Empty;
}

/// <summary>A user-written method such as <c>Forward(Tensor&lt;S1x28x28&gt;)</c>: its name, the shape type's name and where it is.</summary>
internal sealed record TensorOverload(string Method, string Shape, SourceSpan Span);

/// <summary>
/// A member the user wrote in the network class: its name, for a method its signature as <see cref="Emit.GeneratedMembers"/>
/// writes one (null for a field, property, event or nested type), how diagnostics name it and where it is.
/// </summary>
internal sealed record UserMember(string Name, string? Signature, string Description, SourceSpan Span);
