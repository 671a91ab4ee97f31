using System.Globalization;

namespace Strider.Generator.Model;

/// <summary>
/// A dimension's size as generated code computes it: <c>U + V * n{Axis}</c>, where n{Axis} indexes the valid sizes of
/// a free input axis (input = Start + Step * n). Fixed sizes have V = 0.
/// </summary>
internal readonly record struct SizeExpr(long U, long V, int Axis)
{
    public static SizeExpr Fixed(long size) => new(size, 0, -1);

    public bool IsFixed => V == 0;

    /// <summary>As code, simplified: <c>28</c>, <c>n1</c>, <c>4 * n1</c>, <c>(1 + n1)</c>, <c>(29 + 8 * n1)</c>.</summary>
    public string ToCode()
    {
        if (IsFixed) return U.ToString(CultureInfo.InvariantCulture);
        string free = (V == 1 ? "" : V.ToString(CultureInfo.InvariantCulture) + " * ") + "n" + Axis.ToString(CultureInfo.InvariantCulture);
        if (U == 0) return free;
        return U > 0
            ? "(" + U.ToString(CultureInfo.InvariantCulture) + " + " + free + ")"
            : "(" + free + " - " + (-U).ToString(CultureInfo.InvariantCulture) + ")";
    }

    public string ToText() => IsFixed ? U.ToString(CultureInfo.InvariantCulture) : "Any";
}

/// <summary>A trainable parameter or a state buffer, with PyTorch's name and layout and its initialisation.</summary>
internal sealed record ParameterPlan(string Name, EquatableArray<int> Shape, ParameterInit Init, int FanIn, int FanOut)
{
    /// <summary>Every value's start under <see cref="ParameterInit.Constant"/> (PRelu's 0.25).</summary>
    public double Constant { get; init; }

    public long Length
    {
        get
        {
            long n = 1;
            foreach (int d in Shape) n *= d;
            return n;
        }
    }
}

internal enum ParameterInit { He, Glorot, Zeros, Ones, Constant }

/// <summary>One node of the planned network (nodes 0 .. InputCount - 1 are the inputs): its rule, shape and its kind's own numbers.</summary>
internal sealed record NodePlan(
    int Index,
    Layers.LayerRule Rule,
    string Name,
    string Label,
    EquatableArray<int> Inputs,
    EquatableArray<SizeExpr> Shape,
    LayerDetail Detail,
    string Field,
    string Jump)
{
    public LayerKind Kind => Rule.Kind;

    /// <summary>The weight parameter's index, or -1 (the gradient and buffer plans read every kind's parameters alike).</summary>
    public int Weight => Detail.Weight;

    /// <summary>The bias parameter's index, or -1.</summary>
    public int Bias => Detail.Bias;

    /// <summary>A BatchNorm's running-mean buffer index, or -1.</summary>
    public int RunningMean => Detail is BatchNormDetail bn ? bn.RunningMean : -1;

    /// <summary>A BatchNorm's running-variance buffer index, or -1.</summary>
    public int RunningVar => Detail is BatchNormDetail bn ? bn.RunningVar : -1;

    /// <summary>(C, H, W) as the device geometries declare them: 1-D data is C x 1 x L, features alone C x 1 x 1.</summary>
    public (SizeExpr C, SizeExpr H, SizeExpr W) Chw
    {
        get
        {
            var one = SizeExpr.Fixed(1);
            return Shape.Count switch
            {
                1 => (Shape[0], one, one),
                2 => (Shape[0], one, Shape[1]),
                _ => (Shape[0], Shape[1], Shape[2]),
            };
        }
    }
}

/// <summary>A free (Dim.Any) input axis: its valid sizes Start + Step * n and the message for a size outside them.</summary>
internal sealed record FreeAxisPlan(int Axis, int Start, int Step, string ValidText, string LayerText);

/// <summary>A network ready to emit: identity, nodes in order, parameters, buffers, free axes, summary.</summary>
internal sealed record NetworkPlan(
    string Namespace,
    string ClassName,
    string Accessibility,
    string HintName,
    EquatableArray<ContainingType> Containers,
    string InputName,
    EquatableArray<NodePlan> Nodes,
    EquatableArray<ParameterPlan> Parameters,
    EquatableArray<ParameterPlan> Buffers,
    EquatableArray<FreeAxisPlan> FreeAxes,
    long ParameterCount,
    EquatableArray<string> SummaryLines)
{
    /// <summary>The dense (stride-1) variant, when [Network(Dense = true)] asks for it.</summary>
    public DensePlan? Dense { get; init; }

    /// <summary>The output nodes' indices in [Output] order; without [Output], exactly the last node.</summary>
    public EquatableArray<int> Outputs { get; init; } = new[] { Nodes.Count - 1 };

    /// <summary>
    /// The user's class has a base class of its own: the generated half declares the shared members itself instead of
    /// deriving from Strider.NetworkBase (C# allows one base class).
    /// </summary>
    public bool HasUserBase { get; init; }

    /// <summary>How many [Input]s: nodes 0 .. InputCount - 1 are the inputs, in declaration order.</summary>
    public int InputCount { get; init; } = 1;
}
