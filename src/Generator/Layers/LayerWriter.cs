using System;
using System.Collections.Generic;
using Strider.Generator.Emit;
using Strider.Generator.Model;

namespace Strider.Generator.Layers;

/// <summary>
/// What a <see cref="LayerRule"/> writes with: the emitter's names for a layer's locals, fields and geometry, its sizes
/// as code, the execution plan's decisions (folding, fusion, aliasing) and the ONNX helpers. The emitter implements it
/// for each pass; a rule only writes lines.
/// </summary>
internal abstract class LayerWriter
{
    /// <summary>Writes one line at the current indentation.</summary>
    public abstract void Line(string line);

    /// <summary>Opens a brace block under <paramref name="header"/>, closed by disposing it.</summary>
    public abstract IDisposable Block(string header);

    /// <summary>The pass is ForwardDense (stride 1, dilated, inference only, no switches kept).</summary>
    public abstract bool Dense { get; }

    /// <summary>Node <paramref name="index"/> as this pass sees it (ForwardDense's nodes carry their dense shapes).</summary>
    public abstract NodePlan Node(int index);

    public NodePlan InputOf(NodePlan n, int k = 0) => Node(n.Inputs[k]);

    // ---------------------------------------------------------------- names

    /// <summary>The local holding a layer's output in a pass: <c>conv1Out</c>.</summary>
    public abstract string A(NodePlan n);

    /// <summary>A layer's output gradient in Backward.</summary>
    public abstract string G(NodePlan n);

    /// <summary>A layer-named local for something else than its output: <c>pool1Switches</c>, <c>up1Unpooled</c>.</summary>
    public abstract string Local(NodePlan n, string role);

    /// <summary>A trainable parameter's field.</summary>
    public abstract string Param(int index);

    /// <summary>A state buffer's field (BatchNorm's running statistics).</summary>
    public abstract string Buffer(int index);

    public string BiasValue(NodePlan n) => n.Bias >= 0 ? Param(n.Bias) + ".Value" : "null";

    public string BiasGradient(NodePlan n) => n.Bias >= 0 ? Param(n.Bias) + ".Gradient" : "null";

    public abstract string Switches(NodePlan pool);

    public abstract string Mask(NodePlan dropout);

    public abstract string SavedMean(NodePlan bn);

    public abstract string SavedInvStd(NodePlan bn);

    /// <summary>Deconv's scratch for an accumulated input gradient.</summary>
    public abstract string Scratch { get; }

    // ---------------------------------------------------------------- sizes and geometry

    /// <summary>The layer's values over the batch, as long code: <c>n * 11520L</c>.</summary>
    public abstract string Count(NodePlan n);

    /// <summary>Values per item after the channel axis, as int code.</summary>
    public abstract string Inner(NodePlan n);

    /// <summary>A layer's geometry member (role Geometry, Copy, GradientCopy...) in this pass: <c>Conv1Geometry</c>.</summary>
    public abstract string Geometry(NodePlan n, string role = "Geometry");

    /// <summary>Declares a geometry member of the node being declared (<see cref="LayerRule.DeclareGeometry"/>).</summary>
    public abstract void AddGeometry(string role, string type, params string[] lines);

    /// <summary>(C, H, W) of a node as code: 1-D data is C x 1 x L, features alone C x 1 x 1.</summary>
    public abstract (string C, string H, string W) Chw(NodePlan n);

    /// <summary>Dense works on the last axis: "rows, in, out" as code.</summary>
    public abstract string DenseArgs(NodePlan n);

    /// <summary>A Concat's inputs with their channel counts and channel offsets in its output, as code.</summary>
    public abstract IEnumerable<(NodePlan Part, string Channels, string Offset)> ConcatParts(NodePlan concat);

    // ---------------------------------------------------------------- execution plan

    /// <summary>The BatchNorm folded into this conv at inference, or null.</summary>
    public abstract NodePlan? FoldedInto(NodePlan conv);

    /// <summary>The Conv or Deconv this BatchNorm is folded into at inference, or null.</summary>
    public abstract NodePlan? FoldSource(NodePlan bn);

    /// <summary>The conv's inference path with its BatchNorm folded in.</summary>
    public abstract void WriteFoldedConv(NodePlan conv, NodePlan bn, NodePlan input, string geometry);

    /// <summary>
    /// At inference (not in ForwardDense), writes a fused expansion + depthwise pair's code for this conv (the call at the
    /// expansion, a comment at the depthwise conv: <see cref="ExecutionPlan.ExpandDepthwise"/>) and returns true; false
    /// for any other conv, which writes its own call.
    /// </summary>
    public abstract bool WroteExpandDepthwise(NodePlan conv);

    /// <summary>At inference (not in ForwardDense), what this conv's output store applies (<see cref="ExecutionPlan.Epilogues"/>), or null.</summary>
    public abstract FusedEpilogue? EpilogueOf(NodePlan conv);

    /// <summary>The training chain BatchNorm -> Relu [-> Dropout] this node is part of, or null.</summary>
    public abstract FusedChain? ChainOf(NodePlan n);

    /// <summary>A Dropout whose inference output is its input's buffer.</summary>
    public abstract bool AliasesAtInference(NodePlan n);

    /// <summary>The dropout seed expression of the Forward in progress.</summary>
    public abstract string DropoutSeed(NodePlan dropout);

    // ---------------------------------------------------------------- ONNX

    /// <summary>A layer's output in the ONNX graph: named as in Forward.</summary>
    public abstract string OnnxValue(int node);

    /// <summary>An int array literal.</summary>
    public abstract string OnnxInts(IEnumerable<long> values);

    /// <summary>The ONNX bias argument: the bias parameter or null.</summary>
    public string OnnxBias(NodePlan n) => n.Bias >= 0 ? Param(n.Bias) : "null";

    /// <summary>Slices off trailing inputs no window reads; returns the value the window then reads.</summary>
    public abstract string OnnxCropEnds(NodePlan n, string x, long[] cropEnd);

    /// <summary>Whether a MaxUnpool reads this MaxPool's indices in the ONNX graph.</summary>
    public abstract bool OnnxUnpooled(NodePlan pool);
}

/// <summary>
/// A conv's inference epilogue as code: the node whose output the one call writes, the <c>ConvEpilogue</c> argument,
/// and what it adds to the kernel comment ("+ residual add + Relu").
/// </summary>
internal sealed record FusedEpilogue(NodePlan Last, string Argument, string Kernel);

/// <summary>A BatchNorm read only by a Relu, and that Relu's Dropout when it is its only reader: one fused op in training.</summary>
internal sealed record FusedChain(NodePlan Norm, NodePlan Relu, NodePlan? Dropout)
{
    public NodePlan Last => Dropout ?? Relu;
}
