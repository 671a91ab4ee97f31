using System.Collections.Generic;
using System.Linq;
using Strider.Generator.Model;

namespace Strider.Generator.Emit;

/// <summary>
/// Inference rewrites (what ONNX Runtime's graph optimiser does): a BatchNorm folds into the Conv or Deconv before it,
/// and Dropout, the identity, reuses its input's buffer. Training rewrite: BatchNorm -> Relu [-> Dropout] runs as one
/// device op forward and one backward (<see cref="ReluChain"/>).
/// </summary>
internal static partial class NetworkEmitter
{
    private sealed partial class NetworkWriter
    {
        private int[]? _foldTarget;

        /// <summary>
        /// For each Conv or Deconv read only by a BatchNorm, that BatchNorm's index; -1 elsewhere. The fold is exact
        /// algebra (the norm is affine per output channel), and nothing else needs the conv's own output.
        /// </summary>
        private int[] FoldTargets()
        {
            if (_foldTarget is not null) return _foldTarget;
            var target = Enumerable.Repeat(-1, _plan.Nodes.Count).ToArray();
            var readers = Readers();
            foreach (var bn in _plan.Nodes.Where(n => n.Kind == LayerKind.BatchNorm))
            {
                var conv = Node(bn.Inputs[0]);
                if (conv.Kind is LayerKind.Conv or LayerKind.Deconv && conv.Weight >= 0 && readers[conv.Index].Count == 1) target[conv.Index] = bn.Index;
            }
            return _foldTarget = target;
        }

        /// <summary>The BatchNorm folded into <paramref name="conv"/> at inference, or null.</summary>
        private NodePlan? FoldedInto(NodePlan conv) => FoldTargets()[conv.Index] is var b and >= 0 ? Node(b) : null;

        /// <summary>The Conv or Deconv this BatchNorm is folded into at inference, or null.</summary>
        private NodePlan? FoldSource(NodePlan bn) =>
            bn.Kind == LayerKind.BatchNorm && FoldTargets()[bn.Inputs[0]] == bn.Index ? Node(bn.Inputs[0]) : null;

        private bool Folds => FoldTargets().Any(t => t >= 0);

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

        /// <summary>Each node's training chain (for the norm, the Relu and the Dropout alike), or null.</summary>
        private ReluChain?[] Chains()
        {
            if (_chains is not null) return _chains;
            var chains = new ReluChain?[_plan.Nodes.Count];
            var readers = Readers();
            NodePlan? OnlyReader(NodePlan n, LayerKind kind) =>
                n.Index != _last.Index && readers[n.Index].Count == 1 && readers[n.Index][0].Kind == kind ? readers[n.Index][0] : null;
            foreach (var bn in _plan.Nodes.Where(n => n.Kind == LayerKind.BatchNorm))
            {
                if (OnlyReader(bn, LayerKind.Relu) is not { } relu) continue;
                var chain = new ReluChain(bn, relu, OnlyReader(relu, LayerKind.Dropout));
                chains[bn.Index] = chains[relu.Index] = chain;
                if (chain.Dropout is { } drop) chains[drop.Index] = chain;
            }
            return _chains = chains;
        }

        private ReluChain? ChainOf(NodePlan n) => Chains()[n.Index];

        private List<NodePlan>[]? _readers;

        /// <summary>Each node's readers, once per input edge (a node read twice by one layer is listed twice).</summary>
        private List<NodePlan>[] Readers()
        {
            if (_readers is not null) return _readers;
            var readers = new List<NodePlan>[_plan.Nodes.Count];
            for (int i = 0; i < readers.Length; i++) readers[i] = new List<NodePlan>();
            foreach (var n in _plan.Nodes) foreach (int k in n.Inputs) readers[k].Add(n);
            return _readers = readers;
        }

        /// <summary>The dropout seed expression of the Forward in progress (the same for the fused op and DropoutForward).</summary>
        private static string DropoutSeed(NodePlan drop) =>
            $"unchecked((ulong)_seed * 0x9E3779B97F4A7C15UL + (ulong)_step * 0xBF58476D1CE4E5B9UL + {drop.Index}UL)";

        /// <summary>
        /// A Dropout whose inference output is its input's buffer. Not when that is the caller's input tensor: Forward's
        /// result stays a network-owned buffer.
        /// </summary>
        private bool AliasesAtInference(NodePlan n)
        {
            if (n.Kind != LayerKind.Dropout) return false;
            var root = Node(n.Inputs[0]);
            while (IsAlias(root)) root = Node(root.Inputs[0]);
            return root.Index != 0;
        }

        /// <summary>Whether Backward must know the last Forward's mode (its dropout masks, its batch statistics).</summary>
        private bool RecordsMode => Uses(LayerKind.Dropout) || Uses(LayerKind.BatchNorm);

        /// <summary>
        /// The inference path of a conv with a BatchNorm folded in: fold the weights and bias into scratch buffers (they
        /// may have changed since the last call: training, Load), then one conv straight into the BatchNorm's output.
        /// </summary>
        private void WriteFoldedConv(NodePlan conv, NodePlan bn, NodePlan input, string geometry)
        {
            var w = _plan.Parameters[conv.Weight];
            long taps = 1;
            for (int i = 2; i < w.Shape.Count; i++) taps *= w.Shape[i];
            // Conv weights [K, C, taps] scale along K; Deconv weights [Cin, Cout, taps] along Cout.
            var (outer, channels, inner) = conv.Kind == LayerKind.Conv ? (1L, (long)w.Shape[0], w.Shape[1] * taps) : (w.Shape[0], (long)w.Shape[1], taps);
            string fw = FoldedWeight(bn), fb = FoldedBias(bn), y = A(bn);
            var (rm, rv) = Running(bn);
            _w.Line($"// inference: {bn.Name} folded into {conv.Name}'s weights and bias ({conv.Name}'s output feeds only {bn.Name}), written straight into {bn.Name}'s output");
            Ensure(fw, Literals.Int(w.Length));
            Ensure(fb, Literals.Int(channels));
            _w.Line($"d.FoldBatchNorm({Literals.Int(outer)}, {Literals.Int(channels)}, {Literals.Int(inner)}, {Param(conv.Weight)}.Value, {BiasValue(conv)}, {Param(bn.Weight)}.Value, {Param(bn.Bias)}.Value, {rm}, {rv}, {Literals.Float(((BatchNormDetail)bn.Detail).Epsilon)}, {fw}!, {fb}!);");
            if (conv.Kind == LayerKind.Conv)
                _w.Line($"d.ConvForward({geometry}, n, {A(input)}, {fw}!, {fb}!, {y});");
            else
            {
                _w.Line($"d.ConvBackwardData({geometry}, n, {A(input)}, {fw}!, {y}, false);");
                _w.Line($"d.AddBias(n, {bn.Shape[0].ToCode()}, {Inner(bn)}, {fb}!, {y});");
            }
        }
    }
}
