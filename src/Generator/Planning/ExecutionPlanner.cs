using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Strider.Generator.Emit;
using Strider.Generator.Layers;
using Strider.Generator.Model;

namespace Strider.Generator.Planning;

/// <summary>
/// Decides how a planned network runs, once, before anything is written (<see cref="ExecutionPlan"/>): which BatchNorm
/// folds into its conv at inference (what ONNX Runtime's graph optimiser does), which residual Add and activation a conv
/// applies as it stores its output at inference, which BatchNorm -> Relu [-> Dropout] runs as one device op in training,
/// which Dropout reuses its input's buffer at inference, which gradients Backward and BackwardParameters compute, every
/// buffer the network owns, and which inference slot each layer's output takes.
/// </summary>
internal static class ExecutionPlanner
{
    public static ExecutionPlan Plan(NetworkPlan plan, CancellationToken cancellationToken = default)
    {
        var nodes = plan.Nodes;
        int count = nodes.Count;
        var names = MemberNames.Derive(nodes.Select(n => n.Name).ToList());
        var readers = Readers(nodes);
        var outputs = Outputs(plan);
        var isOutput = new bool[count];
        foreach (int o in outputs) isOutput[o] = true;
        cancellationToken.ThrowIfCancellationRequested();

        // A conv read only by its BatchNorm folds it: the fold is exact algebra (the norm is affine per output channel).
        var foldTarget = Enumerable.Repeat(-1, count).ToArray();
        var foldSource = Enumerable.Repeat(-1, count).ToArray();
        foreach (var bn in nodes.Where(n => n.Kind == LayerKind.BatchNorm))
        {
            var conv = nodes[bn.Inputs[0]];
            // A grouped Deconv's [in, out / g, ...] has no [outer, channel, inner] layout for the fold: its norm runs on its own.
            bool groupedDeconv = conv.Kind == LayerKind.Deconv && conv.Detail is WindowDetail { Groups: not 1 };
            // An output conv keeps its own values: Forward returns them.
            if (conv.Kind is LayerKind.Conv or LayerKind.Deconv && conv.Weight >= 0 && readers[conv.Index].Count == 1 && !groupedDeconv && !isOutput[conv.Index])
                (foldTarget[conv.Index], foldSource[bn.Index]) = (bn.Index, conv.Index);
        }

        // In training the fused op writes only the chain's last output (and mask); Backward reads that output.
        var chains = new List<ReluChainPlan>();
        var chainOf = Enumerable.Repeat(-1, count).ToArray();
        int OnlyReader(int n, LayerKind kind) =>
            !isOutput[n] && readers[n].Count == 1 && nodes[readers[n][0]].Kind == kind ? readers[n][0] : -1;
        foreach (var bn in nodes.Where(n => n.Kind == LayerKind.BatchNorm))
        {
            int relu = OnlyReader(bn.Index, LayerKind.Relu);
            if (relu < 0) continue;
            var chain = new ReluChainPlan(bn.Index, relu, OnlyReader(relu, LayerKind.Dropout));
            chainOf[bn.Index] = chainOf[relu] = chains.Count;
            if (chain.Dropout >= 0) chainOf[chain.Dropout] = chains.Count;
            chains.Add(chain);
        }
        cancellationToken.ThrowIfCancellationRequested();

        var (epilogues, epilogueOf) = Epilogues(nodes, readers, isOutput, foldTarget);
        cancellationToken.ThrowIfCancellationRequested();

        var expandDepthwise = ExpandDepthwisePairs(nodes, readers, isOutput, foldTarget, epilogues, epilogueOf);
        var aliases = nodes.Select(n => AliasesAtInference(nodes, n)).ToArray();
        var buffers = Buffers(plan, names, foldTarget, foldSource, aliases, isOutput, cancellationToken);
        var slotOf = InferenceSlots(nodes, foldTarget, foldSource, aliases, outputs, buffers, epilogues, expandDepthwise);
        return new ExecutionPlan(
            new EquatableArray<string>(names),
            new EquatableArray<EquatableArray<int>>(readers.Select(r => new EquatableArray<int>(r))),
            new EquatableArray<int>(foldTarget),
            new EquatableArray<int>(foldSource),
            new EquatableArray<ReluChainPlan>(chains),
            new EquatableArray<int>(chainOf),
            new EquatableArray<ConvEpiloguePlan>(epilogues),
            new EquatableArray<int>(epilogueOf),
            new EquatableArray<bool>(Live(nodes, outputs)),
            new EquatableArray<bool>(ParameterGradientPath(nodes)),
            new EquatableArray<bool>(aliases),
            new EquatableArray<BufferPlan>(buffers),
            new EquatableArray<int>(slotOf),
            new EquatableArray<int>(expandDepthwise));
    }

    /// <summary>
    /// At inference a Conv or Deconv (with its folded BatchNorm) whose output only an Add reads, the Add's other operand computed
    /// before the conv runs, adds that operand as it stores its output; and an activation that alone reads the result
    /// (the conv's or the Add's) is applied there too. Only values nothing else reads are skipped: not an [Output], one
    /// reader each. In full only in networks with a BatchNorm, whose Backward refuses a Forward that ran in inference
    /// mode. Elsewhere the pass Backward goes back through may have run with the rewrites (a net without a BatchNorm
    /// or Dropout has one pass for both modes), so only a Relu fuses into the conv before it: its Backward reads the
    /// Relu's own output for its input (relu'(x) = [x > 0] = [relu(x) > 0], the same bits; <c>ActivationRule.Backward</c>)
    /// and nothing reads the conv's (LeNet's 500-channel conv: a separate pass over 2M values, 0.6 ms of W2's 44).
    /// </summary>
    private static (List<ConvEpiloguePlan> Epilogues, int[] EpilogueOf) Epilogues(IReadOnlyList<NodePlan> nodes, List<int>[] readers, bool[] isOutput, int[] foldTarget)
    {
        var epilogues = new List<ConvEpiloguePlan>();
        var epilogueOf = Enumerable.Repeat(-1, nodes.Count).ToArray();
        bool normed = nodes.Any(n => n.Kind == LayerKind.BatchNorm);
        int OnlyReader(int n) => !isOutput[n] && readers[n].Count == 1 ? readers[n][0] : -1;
        foreach (var conv in nodes.Where(n => n.Kind is LayerKind.Conv or LayerKind.Deconv && n.Weight >= 0))
        {
            int head = foldTarget[conv.Index] >= 0 ? foldTarget[conv.Index] : conv.Index, last = head, add = -1, residual = -1, activation = -1;
            int reader = OnlyReader(head);
            // A two-operand, same-shape Add whose other operand is already written when the conv runs (an earlier node).
            if (normed && reader >= 0 && nodes[reader] is { Kind: LayerKind.Add, Inputs.Count: 2, Detail: not BroadcastDetail } sum && epilogueOf[reader] < 0)
            {
                int other = sum.Inputs[0] == head ? sum.Inputs[1] : sum.Inputs[0];
                if (other < conv.Index) (add, residual, last) = (reader, other, reader);
            }
            int next = OnlyReader(last);
            if (next >= 0 && nodes[next].Rule is ActivationRule && (normed || nodes[next].Kind == LayerKind.Relu)) activation = next;
            if (add < 0 && activation < 0) continue;
            foreach (int k in new[] { conv.Index, add, activation }.Where(k => k >= 0)) epilogueOf[k] = epilogues.Count;
            epilogues.Add(new ConvEpiloguePlan(conv.Index, add, residual, activation));
        }
        return (epilogues, epilogueOf);
    }

    /// <summary>
    /// At inference, a 1x1 expansion Conv (with its folded BatchNorm and an activation epilogue of Relu or Relu6, no
    /// residual) whose output only a depthwise Conv reads (one channel per group, its own epilogue none, Relu or Relu6
    /// with no residual) runs with it as one device call where ConvolutionAlgorithm.ExpandDepthwiseApplies to the fixed
    /// geometry: MobileNetV2's inverted-residual blocks. Only in networks with a BatchNorm, whose Backward refuses an
    /// inference Forward (training keeps the two ops: Backward reads the expanded activations). Returns each node's
    /// partner (<see cref="ExecutionPlan.ExpandDepthwise"/>).
    /// </summary>
    private static int[] ExpandDepthwisePairs(IReadOnlyList<NodePlan> nodes, List<int>[] readers, bool[] isOutput, int[] foldTarget,
        List<ConvEpiloguePlan> epilogues, int[] epilogueOf)
    {
        var pair = Enumerable.Repeat(-1, nodes.Count).ToArray();
        if (!nodes.Any(n => n.Kind == LayerKind.BatchNorm)) return pair;
        // The node whose output a conv's inference call writes, or -1 where its epilogue adds a residual or applies an
        // activation other than Relu and Relu6 (the fused pass applies those two in registers).
        int Written(NodePlan conv)
        {
            if (epilogueOf[conv.Index] < 0) return foldTarget[conv.Index] >= 0 ? foldTarget[conv.Index] : conv.Index;
            var e = epilogues[epilogueOf[conv.Index]];
            return e.Add < 0 && nodes[e.Activation].Rule is ActivationRule rule && rule.EpilogueArguments(nodes[e.Activation]).Name is "Relu" or "Relu6" ? e.Activation : -1;
        }
        foreach (var expand in nodes.Where(n => n.Kind == LayerKind.Conv && n.Weight >= 0))
        {
            if (expand.Detail is not WindowDetail { Groups: 1, Axes.Count: 2 } ed || ed.H.Kernel != 1 || ed.W.Kernel != 1) continue;
            int written = Written(expand);
            if (written < 0 || isOutput[written] || readers[written].Count != 1) continue;
            var dw = nodes[readers[written][0]];
            if (dw.Kind != LayerKind.Conv || dw.Weight < 0 || Written(dw) < 0 || dw.Detail is not WindowDetail { Axes.Count: 2 } dd) continue;
            var (ci, h, w) = nodes[expand.Inputs[0]].Chw;
            var (k, _, _) = expand.Chw;
            var (ko, ho, wo) = dw.Chw;
            if (!(ci.IsFixed && h.IsFixed && w.IsFixed && k.IsFixed && ko.IsFixed && ho.IsFixed && wo.IsFixed) || dd.Groups != k.U || ko.U != k.U) continue;
            if (!global::Strider.Shapes.ConvolutionAlgorithm.ExpandDepthwiseApplies((int)ci.U, (int)h.U, (int)w.U, (int)k.U, (int)ho.U, (int)wo.U, dd.H.Kernel, dd.W.Kernel,
                    dd.H.Stride, dd.W.Stride, dd.H.PadBegin, dd.W.PadBegin, dd.H.Dilation, dd.W.Dilation)) continue;
            (pair[expand.Index], pair[dw.Index]) = (dw.Index, expand.Index);
        }
        return pair;
    }

    /// <summary>Flatten and Reshape: the same values under a new shape, never a buffer of their own.</summary>
    public static bool IsAlias(NodePlan n) => n.Kind is LayerKind.Flatten or LayerKind.Reshape;

    private static List<int>[] Readers(IReadOnlyList<NodePlan> nodes)
    {
        var readers = new List<int>[nodes.Count];
        for (int i = 0; i < readers.Length; i++) readers[i] = new List<int>();
        foreach (var n in nodes) foreach (int k in n.Inputs) readers[k].Add(n.Index);
        return readers;
    }

    /// <summary>The nodes Forward returns, in [Output] order: without [Output], the last layer.</summary>
    public static int[] Outputs(NetworkPlan plan) => plan.Outputs.ToArray();

    /// <summary>Nodes whose gradient reaches an output: the outputs, and any node read by such a node.</summary>
    private static bool[] Live(IReadOnlyList<NodePlan> nodes, int[] outputs)
    {
        var live = new bool[nodes.Count];
        foreach (int o in outputs) live[o] = true;
        for (int i = nodes.Count - 1; i >= 0; i--)
            if (live[i]) foreach (int k in nodes[i].Inputs) live[k] = true;
        return live;
    }

    /// <summary>
    /// Nodes whose gradient BackwardParameters computes too: those that depend on a parameter, and every consumer of
    /// one. The others' gradients only serve the input gradient, so their writers run under <c>if (inputGradient)</c>.
    /// Every writer of one gradient runs in the same mode, so the first-overwrites, later-accumulate order holds in both.
    /// </summary>
    private static bool[] ParameterGradientPath(IReadOnlyList<NodePlan> nodes)
    {
        var needed = new bool[nodes.Count];
        // BatchNormBackward (and PReluBackward) write the input's gradient in the op that writes the parameters': never skipped.
        foreach (var n in nodes) if (n.Rule.InputGradientWithParameters) needed[n.Inputs[0]] = true;
        foreach (var n in nodes)
            if (n.Weight >= 0 || n.Inputs.Any(k => needed[k])) needed[n.Index] = true;
        return needed;
    }

    /// <summary>
    /// A Dropout whose inference output is its input's buffer. Not when that is the caller's input tensor: Forward's
    /// result stays a network-owned buffer.
    /// </summary>
    private static bool AliasesAtInference(IReadOnlyList<NodePlan> nodes, NodePlan n)
    {
        if (n.Kind != LayerKind.Dropout) return false;
        var root = nodes[n.Inputs[0]];
        while (IsAlias(root)) root = nodes[root.Inputs[0]];
        return root.Kind != LayerKind.Input;
    }

    /// <summary>Every buffer, layer by layer (output, gradient, per-kind state, folded weights), then the shared scratch, then ForwardDense's.</summary>
    private static List<BufferPlan> Buffers(NetworkPlan plan, string[] names, int[] foldTarget, int[] foldSource, bool[] aliases, bool[] isOutput, CancellationToken cancellationToken)
    {
        var nodes = plan.Nodes;
        int last = nodes.Count - 1;
        // The last layer as the only output reads the caller's gradient in place; any other output gets its own buffer, seeded from the caller's.
        bool outputIsLast = isOutput[last] && isOutput.Count(o => o) == 1;
        var buffers = new List<BufferPlan>();
        void Add(NodePlan n, BufferRole role, BufferPass pass, BufferSize size, bool isInt = false, bool atInference = false) =>
            buffers.Add(new BufferPlan("_" + names[n.Index] + role, isInt, role, n.Index, pass, new EquatableArray<BufferSize>(new[] { size })) { AtInference = atInference });
        static BufferSize Values(EquatableArray<SizeExpr> shape) => new(shape, true);
        static BufferSize Fixed(long length) => new(new EquatableArray<SizeExpr>(new[] { SizeExpr.Fixed(length) }), false);
        foreach (var n in nodes)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (n.Kind != LayerKind.Input && !IsAlias(n)) Add(n, BufferRole.Out, BufferPass.Forward, Values(n.Shape));
            if (n.Index != last || (isOutput[last] && !outputIsLast)) Add(n, BufferRole.Grad, BufferPass.Backward, Values(n.Shape));
            if (n.Rule.SavedStatistics(n) is { } saved)
            {
                // Group and layer norm normalise with these at inference too; BatchNorm uses its running statistics.
                bool atInference = n.Kind != LayerKind.BatchNorm;
                Add(n, BufferRole.SavedMean, BufferPass.Forward, saved, atInference: atInference);
                Add(n, BufferRole.SavedInvStd, BufferPass.Forward, saved, atInference: atInference);
            }
            // A MaxPool's switches are written at inference only for a MaxUnpool (KeepSwitches), an adaptive one's always; a Dropout's mask only in training.
            if (n.Rule.KeptPerValue is { } kept)
            {
                bool atInference = kept == BufferRole.Switches && (n.Kind != LayerKind.MaxPool || n.Detail is WindowDetail { KeepsSwitches: true });
                Add(n, kept, BufferPass.Forward, Values(n.Shape), isInt: kept == BufferRole.Switches, atInference: atInference);
            }
            if (foldSource[n.Index] >= 0)
            {
                var conv = nodes[foldSource[n.Index]];
                var weight = plan.Parameters[conv.Weight];
                // Conv weights [K, C, ...] fold along K, Deconv weights [Cin, Cout, ...] along Cout: the bias has the norm's channels.
                Add(n, BufferRole.FoldedWeight, BufferPass.Inference, Fixed(weight.Length));
                Add(n, BufferRole.FoldedBias, BufferPass.Inference, Fixed(weight.Shape[conv.Kind == LayerKind.Conv ? 0 : 1]));
            }
        }
        // Deconv's input gradient, when accumulated, goes through one scratch sized for the largest.
        var deconvInputs = nodes.Where(n => n.Kind == LayerKind.Deconv).Select(n => Values(nodes[n.Inputs[0]].Shape)).ToList();
        if (deconvInputs.Count > 0)
            buffers.Add(new BufferPlan("_deconvScratch", false, BufferRole.Scratch, -1, BufferPass.Backward, new EquatableArray<BufferSize>(deconvInputs)));
        if (plan.Dense is { } dense)
        {
            // A conv with its norm folded in writes the norm's buffer; an aliasing Dropout has none.
            foreach (var n in nodes.Where(n => n.Kind != LayerKind.Input && !aliases[n.Index] && foldTarget[n.Index] < 0))
                Add(n, BufferRole.DenseOut, BufferPass.Dense, Values(dense.Nodes[n.Index].Shape));
        }
        return buffers;
    }

    /// <summary>
    /// Inference liveness: each output an inference Forward writes takes a slot that no value live at that op holds, so
    /// a chain runs in two buffers however deep it is. A value lives from the op that writes it (a folded conv writes its
    /// norm's) to the last op that reads it (through views: Flatten, Reshape, an aliasing Dropout), and the network's
    /// outputs to the end. Never in place: an op's output slot is never one it reads. Adds the slots to
    /// <paramref name="buffers"/>; returns each node's slot (-1: no buffer of its own at inference).
    /// </summary>
    private static int[] InferenceSlots(IReadOnlyList<NodePlan> nodes, int[] foldTarget, int[] foldSource, bool[] aliases, int[] outputs, List<BufferPlan> buffers,
        List<ConvEpiloguePlan> epilogues, int[] expandDepthwise)
    {
        int count = nodes.Count;
        // The node whose buffer holds a node's inference values: itself, or what a view (or an aliasing Dropout) shows.
        var root = new int[count];
        for (int i = 0; i < count; i++)
            root[i] = IsAlias(nodes[i]) || aliases[i] ? root[nodes[i].Inputs[0]] : i;
        // Written: a layer with a buffer of its own, at its own op or, for a folded norm, at its conv's.
        var written = new int[count];
        var lastRead = new int[count];
        for (int i = 0; i < count; i++)
        {
            var n = nodes[i];
            bool own = n.Kind != LayerKind.Input && root[i] == i && foldTarget[i] < 0;
            written[i] = own ? (foldSource[i] >= 0 ? foldSource[i] : i) : -1;
            lastRead[i] = written[i];
        }
        // A conv epilogue writes its last node's output at the conv's op; the conv's (or its folded norm's) output and
        // the Add's under an activation are never written.
        foreach (var e in epilogues)
        {
            int head = foldTarget[e.Conv] >= 0 ? foldTarget[e.Conv] : e.Conv;
            foreach (int skipped in new[] { head, e.Activation >= 0 ? e.Add : -1 }.Where(k => k >= 0)) written[skipped] = lastRead[skipped] = -1;
            written[e.Last] = lastRead[e.Last] = e.Conv;
        }
        // A fused expansion + depthwise call writes the depthwise conv's output at the expansion's op, while it reads the
        // block's input: that output must not take the input's slot (the expanded value's slot stays busy until the
        // depthwise conv's own op, which reads it where the device composes the two convs).
        for (int i = 0; i < count; i++)
        {
            if (expandDepthwise[i] < i || nodes[i].Kind != LayerKind.Conv) continue;
            int dw = expandDepthwise[i];
            for (int k = 0; k < count; k++)
                if (written[k] == dw) written[k] = lastRead[k] = i;
        }
        foreach (var n in nodes)
        {
            // A view reads nothing at its op; a folded norm's op is its conv's, which reads the conv's inputs.
            if (n.Kind == LayerKind.Input || root[n.Index] != n.Index || foldSource[n.Index] >= 0) continue;
            foreach (int k in n.Inputs) lastRead[root[k]] = System.Math.Max(lastRead[root[k]], n.Index);
        }
        foreach (int o in outputs) lastRead[root[o]] = int.MaxValue;

        var slotOf = Enumerable.Repeat(-1, count).ToArray();
        var members = new List<List<BufferSize>>();
        var estimate = new List<double>();
        var busyUntil = new List<int>();
        foreach (int i in Enumerable.Range(0, count).Where(i => written[i] >= 0).OrderBy(i => written[i]))
        {
            var size = new BufferSize(nodes[i].Shape, true);
            double need = Estimate(nodes[i].Shape);
            // Best fit among the free slots: the smallest that holds it, else the largest (which then grows).
            int best = -1;
            for (int s = 0; s < members.Count; s++)
            {
                if (busyUntil[s] >= written[i]) continue;
                bool fits = estimate[s] >= need, bestFits = best >= 0 && estimate[best] >= need;
                if (best < 0 || (fits && (!bestFits || estimate[s] < estimate[best])) || (!fits && !bestFits && estimate[s] > estimate[best])) best = s;
            }
            if (best < 0)
            {
                best = members.Count;
                members.Add(new List<BufferSize>());
                estimate.Add(0);
                busyUntil.Add(0);
            }
            if (!members[best].Contains(size)) members[best].Add(size);
            estimate[best] = System.Math.Max(estimate[best], need);
            busyUntil[best] = lastRead[i];
            slotOf[i] = best;
        }
        for (int s = 0; s < members.Count; s++)
            buffers.Add(new BufferPlan("_inferenceSlot" + s, false, BufferRole.InferenceSlot, -1, BufferPass.Slot, new EquatableArray<BufferSize>(members[s])));
        return slotOf;
    }

    /// <summary>A shape's values per item for choosing slots, free sizes taken at their 32nd valid size (the code takes the exact largest).</summary>
    private static double Estimate(EquatableArray<SizeExpr> shape)
    {
        double values = 1;
        foreach (var d in shape) values *= d.U + d.V * 32.0;
        return values;
    }
}
