namespace Strider.Generator.Model;

/// <summary>Which pass needs a buffer, and so where the generated class grows it.</summary>
internal enum BufferPass
{
    /// <summary>
    /// Written by a training Forward and read by Backward (every layer's own output, pooling switches, dropout masks,
    /// saved statistics): grown with the batch on the first Forward that keeps its activations, never by inference alone.
    /// </summary>
    Forward,

    /// <summary>Written by Backward (gradients, the Deconv scratch): grown with Forward's, so a Backward after a training Forward never allocates.</summary>
    Backward,

    /// <summary>
    /// An inference Forward's activations: layers whose values are never live at once share one slot
    /// (<see cref="ExecutionPlan.SlotOf"/>), grown with the batch on the first inference Forward.
    /// </summary>
    Slot,

    /// <summary>Inference only, a fixed size (a BatchNorm's weights folded into its conv): allocated on the first inference Forward.</summary>
    Inference,

    /// <summary>ForwardDense's activations, grown with its own batch and sizes.</summary>
    Dense,
}

/// <summary>What a buffer holds for its layer (the role is the field name's suffix: <c>_conv1Out</c>).</summary>
internal enum BufferRole { Out, Grad, Switches, Mask, SavedMean, SavedInvStd, FoldedWeight, FoldedBias, Scratch, DenseOut, InferenceSlot }

/// <summary>A buffer's length: the product of <paramref name="Dims"/>, times the batch when <paramref name="Batched"/>.</summary>
internal sealed record BufferSize(EquatableArray<SizeExpr> Dims, bool Batched);

/// <summary>
/// One device buffer the network owns: its field, element type (int for pooling switches, else float), role, the layer
/// it belongs to (-1 for shared scratch and slots), the pass that needs it, and its length (the largest of <paramref name="Sizes"/>).
/// </summary>
internal sealed record BufferPlan(string Field, bool IsInt, BufferRole Role, int Node, BufferPass Pass, EquatableArray<BufferSize> Sizes)
{
    /// <summary>
    /// A <see cref="BufferPass.Forward"/> buffer the inference pass writes too (a MaxPool's switches, a group or layer
    /// norm's statistics): grown with the slots as well.
    /// </summary>
    public bool AtInference { get; init; }
}

/// <summary>A BatchNorm read only by a Relu, and that Relu's Dropout when the Relu is read only by it (-1 when none): fused in training.</summary>
internal sealed record ReluChainPlan(int Norm, int Relu, int Dropout)
{
    public int Last => Dropout >= 0 ? Dropout : Relu;
}

/// <summary>
/// A conv whose inference output store also adds <paramref name="Residual"/> (the other operand of the Add it feeds,
/// -1 when none) and applies <paramref name="Activation"/> (-1 when none): one device call writes <see cref="Last"/>'s
/// output, and the conv's (or its folded norm's) and the Add's outputs are not written.
/// </summary>
internal sealed record ConvEpiloguePlan(int Conv, int Add, int Residual, int Activation)
{
    public int Last => Activation >= 0 ? Activation : Add;
}

/// <summary>
/// How a planned network runs, decided once from its <see cref="NetworkPlan"/> (see <c>Planning.ExecutionPlanner</c>):
/// the emitter writes what this says. Arrays are per node, indexed as the plan's nodes.
/// </summary>
/// <param name="Names">Each layer's member name (<see cref="Emit.MemberNames"/>).</param>
/// <param name="Readers">Each node's readers, once per input edge.</param>
/// <param name="FoldTarget">For a Conv or Deconv, the BatchNorm folded into it at inference; -1 elsewhere.</param>
/// <param name="FoldSource">For a BatchNorm, the Conv or Deconv it is folded into at inference; -1 elsewhere.</param>
/// <param name="Chains">The training-time BatchNorm-Relu(-Dropout) fusions.</param>
/// <param name="ChainOf">For each node of a chain (norm, Relu, Dropout), its index in <paramref name="Chains"/>; -1 elsewhere.</param>
/// <param name="Epilogues">The inference conv epilogues (residual add and/or activation applied as the conv's output is stored).</param>
/// <param name="EpilogueOf">For each node of an epilogue (the conv, the Add, the activation), its index in <paramref name="Epilogues"/>; -1 elsewhere.</param>
/// <param name="Live">Nodes whose gradient reaches the output (Backward skips the others).</param>
/// <param name="ParameterGradientPath">Nodes whose gradient BackwardParameters computes too.</param>
/// <param name="AliasesAtInference">Dropouts whose inference output is their input's buffer.</param>
/// <param name="Buffers">Every device buffer the network owns, in the order fields, growth and Dispose list them.</param>
/// <param name="SlotOf">
/// Each node's inference slot (an index among the <see cref="BufferPass.Slot"/> buffers, in their order): the buffer an
/// inference Forward writes its output to; -1 for inputs, views (Flatten, Reshape, a Dropout aliasing its input) and a
/// conv whose BatchNorm is folded in (it writes the norm's slot), and the values a conv epilogue skips (its last node is
/// written at the conv's op). A fusion that writes a node's output at another
/// layer's op must say so to <c>ExecutionPlanner.InferenceSlots</c>, or two live values could share a slot.
/// </param>
/// <param name="ExpandDepthwise">
/// For a 1x1 expansion conv run at inference in one device call with the depthwise conv that alone reads its output
/// (<c>ConvForwardExpandDepthwise</c>, where <c>ConvolutionAlgorithm.ExpandDepthwiseApplies</c>), that depthwise
/// conv; for the depthwise conv, the expansion conv; -1 elsewhere.
/// </param>
internal sealed record ExecutionPlan(
    EquatableArray<string> Names,
    EquatableArray<EquatableArray<int>> Readers,
    EquatableArray<int> FoldTarget,
    EquatableArray<int> FoldSource,
    EquatableArray<ReluChainPlan> Chains,
    EquatableArray<int> ChainOf,
    EquatableArray<ConvEpiloguePlan> Epilogues,
    EquatableArray<int> EpilogueOf,
    EquatableArray<bool> Live,
    EquatableArray<bool> ParameterGradientPath,
    EquatableArray<bool> AliasesAtInference,
    EquatableArray<BufferPlan> Buffers,
    EquatableArray<int> SlotOf,
    EquatableArray<int> ExpandDepthwise);
