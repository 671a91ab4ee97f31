using System.Linq;
using Strider.Generator.Layers;
using Strider.Generator.Model;

namespace Strider.Generator.Emit;

/// <summary>
/// Inference rewrites (what ONNX Runtime's graph optimiser does): a BatchNorm folds into the Conv or Deconv before it,
/// a conv's output store adds the residual of the Add it feeds and applies the activation after (<see cref="EpilogueOf"/>),
/// and Dropout, the identity, reuses its input's buffer. Training rewrite: BatchNorm -> Relu [-> Dropout] runs as one
/// device op forward and one backward (<see cref="ReluChain"/>).
/// </summary>
internal static partial class NetworkEmitter
{
    private sealed partial class NetworkWriter
    {
        /// <summary>The BatchNorm folded into <paramref name="conv"/> at inference, or null (<see cref="ExecutionPlan.FoldTarget"/>).</summary>
        private NodePlan? FoldedInto(NodePlan conv) => _exec.FoldTarget[conv.Index] is var b and >= 0 ? Node(b) : null;

        /// <summary>The Conv or Deconv this BatchNorm is folded into at inference, or null.</summary>
        private NodePlan? FoldSource(NodePlan bn) => _exec.FoldSource[bn.Index] is var c and >= 0 ? Node(c) : null;

        /// <summary>
        /// A BatchNorm read only by a Relu, and that Relu's Dropout when the Relu is read only by it: in training the
        /// device writes only <see cref="Last"/>'s output (and the mask), and Backward reads that output, so the norm's
        /// and the Relu's own outputs and gradients are skipped. Relu alone fuses: its gradient follows from its output.
        /// </summary>
        private sealed record ReluChain(NodePlan Norm, NodePlan Relu, NodePlan? Dropout)
        {
            public NodePlan Last => Dropout ?? Relu;
        }

        private ReluChain?[]? _chains;

        /// <summary>Each node's training chain (for the norm, the Relu and the Dropout alike), or null (<see cref="ExecutionPlan.Chains"/>).</summary>
        private ReluChain? ChainOf(NodePlan n)
        {
            _chains ??= _exec.Chains.Select(c => new ReluChain(Node(c.Norm), Node(c.Relu), c.Dropout >= 0 ? Node(c.Dropout) : null)).ToArray();
            return _exec.ChainOf[n.Index] is var k and >= 0 ? _chains[k] : null;
        }

        /// <summary>The inference epilogue of <paramref name="conv"/> as code, or null (<see cref="ExecutionPlan.Epilogues"/>).</summary>
        private FusedEpilogue? EpilogueOf(NodePlan conv)
        {
            if (_exec.EpilogueOf[conv.Index] is not (var k and >= 0) || _exec.Epilogues[k] is not { } e || e.Conv != conv.Index) return null;
            string residual = e.Residual >= 0 ? A(Node(e.Residual)) : "null", activation = "", kernel = e.Add >= 0 ? " + residual add" : "";
            if (e.Activation >= 0 && Node(e.Activation) is var f && f.Rule is ActivationRule rule)
            {
                var (arguments, name) = rule.EpilogueArguments(f);
                activation = ", " + arguments;
                kernel += " + " + name;
            }
            return new FusedEpilogue(Node(e.Last), $"new global::Strider.Devices.ConvEpilogue({residual}{activation})", kernel);
        }

        /// <summary>
        /// The comment an Add or activation writes at inference instead of its op when a conv's call applies it, or null.
        /// </summary>
        private string? AppliedByConv(NodePlan n)
        {
            if (_exec.EpilogueOf[n.Index] is not (var k and >= 0) || _exec.Epilogues[k] is not { } e || e.Conv == n.Index) return null;
            string conv = Node(e.Conv).Name, op = Node(e.Conv).Kind == LayerKind.Deconv ? "ConvBackwardData" : "ConvForward";
            // A fused expansion + depthwise pair's one call, at the expansion (ExecutionPlan.ExpandDepthwise).
            if (_exec.ExpandDepthwise[e.Conv] is var pair and >= 0) (conv, op) = (Node(System.Math.Min(pair, e.Conv)).Name, "ConvForwardExpandDepthwise");
            return e.Last == n.Index
                ? $"// applied by {conv}'s {op} above as it stores its output, written there"
                : $"// applied by {conv}'s {op} above as it stores its output (this output is not written)";
        }

        /// <summary>The dropout seed expression of the Forward in progress (the same for the fused op and DropoutForward).</summary>
        private static string DropoutSeed(NodePlan drop) =>
            $"unchecked((ulong)_seed * 0x9E3779B97F4A7C15UL + (ulong)_step * 0xBF58476D1CE4E5B9UL + {drop.Index}UL)";

        /// <summary>A Dropout whose inference output is its input's buffer (<see cref="ExecutionPlan.AliasesAtInference"/>).</summary>
        private bool AliasesAtInference(NodePlan n) => _exec.AliasesAtInference[n.Index];

        /// <summary>Whether Backward must know the last Forward's mode (its dropout masks, its batch statistics).</summary>
        private bool RecordsMode => Uses(LayerKind.Dropout) || Uses(LayerKind.BatchNorm);

        /// <summary>
        /// The inference path of a conv with a BatchNorm folded in: fold the weights and bias into their buffers when any
        /// source was written since the last fold (training, Load, an optimizer step: <c>BatchNormFold</c> compares
        /// the buffers' write versions), then one conv straight into the BatchNorm's output.
        /// </summary>
        private void WriteFoldedConv(NodePlan conv, NodePlan bn, NodePlan input, string geometry, FusedEpilogue? epilogue)
        {
            var (outer, channels, inner) = FoldLayout(conv);
            string fw = FoldedWeight(bn), fb = FoldedBias(bn), y = A(epilogue?.Last ?? bn);
            string into = (epilogue?.Last ?? bn).Name;
            _w.Line($"// inference: {bn.Name} folded into {conv.Name}'s weights and bias ({conv.Name}'s output feeds only {bn.Name}), written straight into {into}'s output; folded again only after one of them was written");
            WriteFold(conv, bn, outer, channels, inner);
            if (conv.Kind == LayerKind.Conv)
                _w.Line($"d.ConvForward({geometry}, n, {A(input)}, {fw}!, {fb}!, {y}{(epilogue is null ? "" : ", " + epilogue.Argument)});" + Layers.ConvKernels.Forward(input, conv, conv) + epilogue?.Kernel);
            else
            {
                // The folded bias (and the epilogue) added as the transposed conv stores each row, not in passes of their own.
                string e = epilogue is null ? "default" : epilogue.Argument;
                _w.Line($"d.ConvBackwardData({geometry}, n, {A(input)}, {fw}!, {fb}!, {y}, {e});" + Layers.ConvKernels.BackwardData(conv, input, conv) + " + bias" + epilogue?.Kernel);
            }
        }

        /// <summary>A conv's weights as [outer, channels, inner] for its BatchNorm's fold: Conv weights [K, C, taps] scale along K, Deconv weights [Cin, Cout, taps] along Cout.</summary>
        private (long Outer, long Channels, long Inner) FoldLayout(NodePlan conv)
        {
            var w = _plan.Parameters[conv.Weight];
            long taps = 1;
            for (int i = 2; i < w.Shape.Count; i++) taps *= w.Shape[i];
            return conv.Kind == LayerKind.Conv ? (1L, (long)w.Shape[0], w.Shape[1] * taps) : (w.Shape[0], (long)w.Shape[1], taps);
        }

        /// <summary>Folds <paramref name="bn"/> into its buffers of <paramref name="conv"/>'s weights and bias when a source was written since the last fold.</summary>
        private void WriteFold(NodePlan conv, NodePlan bn, long outer, long channels, long inner)
        {
            string fw = FoldedWeight(bn), fb = FoldedBias(bn);
            var (rm, rv) = Running(bn);
            Ensure(fw, BufferSize(BufferOf(bn, BufferRole.FoldedWeight)));
            Ensure(fb, BufferSize(BufferOf(bn, BufferRole.FoldedBias)));
            _w.Line($"{FoldState(bn)}.Refresh(d, {Literals.Int(outer)}, {Literals.Int(channels)}, {Literals.Int(inner)}, {Param(conv.Weight)}.Value, {BiasValue(conv)}, {Param(bn.Weight)}.Value, {Param(bn.Bias)}.Value, {rm}, {rv}, {Literals.Float(((BatchNormDetail)bn.Detail).Epsilon)}, {fw}!, {fb}!);");
        }

        /// <summary>
        /// At inference, a conv of a fused expansion + depthwise pair (<see cref="ExecutionPlan.ExpandDepthwise"/>): the
        /// expansion writes both folds and the one <c>ConvForwardExpandDepthwise</c> call, the depthwise conv a comment.
        /// Returns false for any other conv.
        /// </summary>
        private bool WriteExpandDepthwise(NodePlan conv)
        {
            if (_exec.ExpandDepthwise[conv.Index] is not (var other and >= 0)) return false;
            if (other < conv.Index)
            {
                _w.Line($"// computed by {Node(other).Name}'s ConvForwardExpandDepthwise above, fused with that expansion");
                return true;
            }
            var dw = Node(other);
            var (ee, de) = (EpilogueOf(conv), EpilogueOf(dw));
            var (eFold, dFold) = (FoldedInto(conv), FoldedInto(dw));
            NodePlan expanded = ee?.Last ?? eFold ?? conv, y = de?.Last ?? dFold ?? dw;
            _w.Line($"// inference: {conv.Name} (1x1 expansion{(eFold is null ? "" : ", " + eFold.Name + " folded in")}) and {dw.Name} (depthwise{(dFold is null ? "" : ", " + dFold.Name + " folded in")}), which alone reads it, as one call writing {y.Name}'s output: the expanded planes stay in cache ({expanded.Name}'s buffer is written only where the device runs the two convs)");
            (string W, string B) Parameters(NodePlan c, NodePlan? bn)
            {
                if (bn is null) return (Param(c.Weight) + ".Value", BiasValue(c));
                var (outer, channels, inner) = FoldLayout(c);
                WriteFold(c, bn, outer, channels, inner);
                return (FoldedWeight(bn) + "!", FoldedBias(bn) + "!");
            }
            var (ew, eb) = Parameters(conv, eFold);
            var (dw2, db) = Parameters(dw, dFold);
            _w.Line($"d.ConvForwardExpandDepthwise({Geometry(conv)}, {Geometry(dw)}, n, {A(Node(conv.Inputs[0]))}, {ew}, {eb}, {ee?.Argument ?? "default"}, {dw2}, {db}, {A(expanded)}, {A(y)}, {de?.Argument ?? "default"});"
                + " // kernel: " + global::Strider.Shapes.ConvolutionAlgorithm.Describe(global::Strider.Shapes.ConvKernel.ExpandDepthwise) + $"; expansion{ee?.Kernel}, depthwise{de?.Kernel}");
            return true;
        }
    }
}
