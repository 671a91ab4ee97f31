using Strider.Generator.Emit;
using Strider.Generator.Model;
using Strider.Generator.Planning;

namespace Strider.Generator.Layers;

/// <summary>
/// Everything the generator knows about one layer kind, in one place: its attribute, its auto-name prefix, its diagram
/// colour, its plan (argument checks, shape rule through the shape algebra, parameters), its forward pass in each mode,
/// its backward pass, its ONNX node and its dense (à trous) rule. <see cref="LayerRegistry"/> maps an attribute to its
/// rule; no other code switches over layer kinds.
/// </summary>
internal abstract class LayerRule
{
    protected LayerRule(string name, LayerKind kind)
    {
        Name = name;
        Kind = kind;
    }

    /// <summary>The attribute's name without "Attribute" (<c>Conv</c>): the Summary's kind and the messages' word for it.</summary>
    public string Name { get; }

    /// <summary>The family the cross-cutting planning (fusion, folding, buffers) knows this layer by.</summary>
    public LayerKind Kind { get; }

    /// <summary>The attribute's metadata name, the registry's key: <c>Strider.ConvAttribute</c>.</summary>
    public string AttributeName => "Strider." + Name + "Attribute";

    /// <summary>Prefix of automatic output names, numbered per prefix: conv1, bn2 (PyTorch-like parameter names).</summary>
    public virtual string AutoNamePrefix => Name.ToLowerInvariant();

    /// <summary>The diagram box colour (#rrggbb) of the layer's family.</summary>
    public abstract string Fill { get; }

    /// <summary>Checks the arguments, gives the node its layout (shape rule), label and parameters, or fails it with a diagnostic.</summary>
    public abstract void Plan(NetworkPlanner planner, PlanNode node, LayerSpec layer);

    /// <summary>
    /// Its backward op writes the input's gradient together with its parameters' gradients (BatchNorm, PRelu), so the
    /// input's gradient is computed in BackwardParameters too (<see cref="ExecutionPlan.ParameterGradientPath"/>).
    /// </summary>
    public virtual bool InputGradientWithParameters => false;

    /// <summary>
    /// The length of the statistics its training forward saves for backward (a mean and an inverse standard deviation
    /// buffer each, <see cref="LayerWriter.SavedMean"/>), or null when it saves none.
    /// </summary>
    public virtual BufferSize? SavedStatistics(NodePlan n) => null;

    /// <summary>
    /// What its training forward keeps for backward besides its output, one value per output value: a max pool's
    /// switches (<see cref="BufferRole.Switches"/>, ints) or a Dropout's mask (<see cref="BufferRole.Mask"/>); null when none.
    /// </summary>
    public virtual BufferRole? KeptPerValue => null;

    /// <summary>The node's own numbers in the plan (<see cref="LayerDetail"/>), resolved from what <see cref="Plan"/> left on it.</summary>
    public virtual LayerDetail Detail(PlanNode node, PlanSizes sizes) => LayerDetail.None;

    /// <summary>
    /// Moves the à trous rewrite through the layer: <paramref name="state"/> starts as a copy of its input's
    /// (<paramref name="from"/>) strides and shrink, dilation 1 and no crop. False when the rewrite is out of range.
    /// Layers that keep every position (activations, norms, merges) leave it as it is.
    /// </summary>
    public virtual bool DenseStep(PlanNode node, DenseState from, DenseState state) => true;

    /// <summary>The node's numbers in the dense variant: by default as in the strided network.</summary>
    public virtual LayerDetail DenseDetail(NodePlan strided, DenseNodePlan dense) => strided.Detail;

    /// <summary>Why the layer has no stride-1 rewrite (and which argument to point at), or null when it has one.</summary>
    public virtual string? DenseObstacle(PlanNode node, out string key)
    {
        key = "";
        return null;
    }

    /// <summary>Declares the geometry members (static fields) the passes use, through <see cref="LayerWriter.AddGeometry"/>.</summary>
    public virtual void DeclareGeometry(LayerWriter w, NodePlan n, bool backward) { }

    /// <summary>Writes the forward op of <paramref name="n"/> for a pass in <paramref name="mode"/>, straight-line.</summary>
    public abstract void Forward(LayerWriter w, NodePlan n, PassMode mode);

    /// <summary>Writes the backward op of <paramref name="n"/>: parameter gradients always, input gradients through <paramref name="ops"/>.</summary>
    public abstract void Backward(LayerWriter w, NodePlan n, BackwardOps ops);

    /// <summary>Why the layer cannot be written as exact ONNX, or null when it can.</summary>
    public virtual string? OnnxProblem(LayerWriter w, NodePlan n) => null;

    /// <summary>The ONNX opset the layer needs (17 unless an operator's attribute came later).</summary>
    public virtual int OnnxOpset(NodePlan n) => 17;

    /// <summary>Writes the layer's ONNX builder call (inference mode).</summary>
    public abstract void Onnx(LayerWriter w, NodePlan n);

    /// <summary>Family colours of the diagram: weights blue, pooling green, normalisation grey, activations yellow, merges orange, reshaping pink.</summary>
    protected static class Fills
    {
        public const string Input = "#ffffff";
        public const string Weights = "#cfe2f3";
        public const string Pooling = "#d9ead3";
        public const string Normalization = "#e8e8e8";
        public const string Merge = "#fce5cd";
        public const string Reshaping = "#ead1dc";
        public const string Activation = "#fff2cc";
    }
}

/// <summary>Which forward pass a rule writes: training (batch statistics, dropout on) or inference (running statistics, folded norms).</summary>
internal enum PassMode { Training, Inference }
