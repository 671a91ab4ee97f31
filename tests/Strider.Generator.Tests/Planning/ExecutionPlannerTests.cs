using Strider.Generator.Layers;
using Strider.Generator.Diagnostics;
using Strider.Generator.Model;
using Strider.Generator.Planning;

namespace Strider.Generator.Tests.Planning;

/// <summary>
/// The execution planner without Roslyn: specs built by hand (as the parser would give them), planned, then asserted
/// on folding pairs, fusion chains, readers, liveness, the parameter-gradient path and the buffer list.
/// </summary>
public sealed class ExecutionPlannerTests
{
    internal static LayerSpec Layer(string kind, int filters = 0, int kernel = 0, string? name = null, string? from = null,
        bool keepSwitches = false, string? switches = null, double rate = 0, int units = 0, string[]? inputs = null) =>
        new(LayerRegistry.ByAttribute("Strider." + kind + "Attribute")!, 0, name, from, filters, new EquatableArray<int>(kernel > 0 ? new[] { kernel } : new int[0]), 0, EquatableArray<int>.Empty,
            1, EquatableArray<int>.Empty, 0, 0, EquatableArray<int>.Empty, true, 0, null, false, keepSwitches, switches, units,
            EquatableArray<int>.Empty, new EquatableArray<string>(inputs ?? new string[0]), rate, 1.0, 1e-5, 0.1, 0, 0, EquatableArray<ArgSpan>.Empty);

    internal static (NetworkPlan Plan, ExecutionPlan Exec) Plan(int[] input, params LayerSpec[] layers)
    {
        var spec = new NetworkSpec("Tests", "Net", "public", "Tests.Net", EquatableArray<ContainingType>.Empty,
            new InputSpec(new EquatableArray<int>(input), "input", EquatableArray<ArgSpan>.Empty),
            new EquatableArray<LayerSpec>(layers.Select((l, i) => l with { Index = i })), SourceSpan.None);
        var planned = NetworkPlanner.Plan(spec, CancellationToken.None);
        Assert.DoesNotContain(planned.Diagnostics, d => DiagnosticDescriptors.IsError(d.Id));
        Assert.NotNull(planned.Value);
        return (planned.Value!, ExecutionPlanner.Plan(planned.Value!));
    }

    internal static int Index(NetworkPlan plan, string name) => plan.Nodes.Single(n => n.Name == name).Index;

    internal static string[] Fields(ExecutionPlan exec, BufferPass pass) => exec.Buffers.Where(b => b.Pass == pass).Select(b => b.Field).ToArray();

    [Fact]
    public void A_lenet_has_no_folds_or_chains_and_every_layer_on_the_gradient_path()
    {
        var (plan, exec) = Plan([1, 28, 28],
            Layer("Conv", 6, 5), Layer("Relu"), Layer("MaxPool", kernel: 2),
            Layer("Conv", 16, 5), Layer("Relu"), Layer("MaxPool", kernel: 2),
            Layer("Flatten"), Layer("Dense", units: 10), Layer("Softmax"));
        Assert.All(exec.FoldTarget, t => Assert.Equal(-1, t));
        Assert.Empty(exec.Chains);
        Assert.All(exec.Live, Assert.True);
        // The input's gradient is not on the path (no parameter before it); every later node is.
        Assert.Equal(new[] { false }.Concat(Enumerable.Repeat(true, plan.Nodes.Count - 1)), exec.ParameterGradientPath);
        Assert.Equal(
            ["_inputGrad", "_conv1Out", "_conv1Grad", "_relu1Out", "_relu1Grad", "_maxpool1Out", "_maxpool1Grad", "_maxpool1Switches",
             "_conv2Out", "_conv2Grad", "_relu2Out", "_relu2Grad", "_maxpool2Out", "_maxpool2Grad", "_maxpool2Switches",
             "_flatten1Grad", "_dense1Out", "_dense1Grad", "_softmax1Out", "_inferenceSlot0", "_inferenceSlot1"],
            exec.Buffers.Select(b => b.Field));
        var switches = exec.Buffers.Single(b => b.Field == "_maxpool1Switches");
        Assert.True(switches.IsInt);
        Assert.Equal(BufferPass.Forward, switches.Pass);
        // No MaxUnpool reads them: an inference Forward passes none.
        Assert.False(switches.AtInference);
        Assert.Equal(new BufferSize(plan.Nodes[Index(plan, "maxpool1")].Shape, true), Assert.Single(switches.Sizes));
        Assert.Equal(BufferPass.Backward, exec.Buffers.Single(b => b.Field == "_conv1Grad").Pass);
        Assert.Empty(Fields(exec, BufferPass.Inference));
        Assert.Empty(Fields(exec, BufferPass.Dense));
    }

    [Fact]
    public void Conv_bn_relu_dropout_folds_the_norm_and_fuses_the_chain()
    {
        var (plan, exec) = Plan([2, 9, 9],
            Layer("Conv", 4, 3, name: "c1"), Layer("BatchNorm"), Layer("Relu"), Layer("Dropout", rate: 0.3),
            Layer("Conv", 3, 3, name: "c2"));
        int c1 = Index(plan, "c1"), bn = Index(plan, "bn1"), relu = Index(plan, "relu1"), drop = Index(plan, "dropout1");
        Assert.Equal(bn, exec.FoldTarget[c1]);
        Assert.Equal(c1, exec.FoldSource[bn]);
        Assert.Equal(-1, exec.FoldTarget[Index(plan, "c2")]);
        var chain = Assert.Single(exec.Chains);
        Assert.Equal(new ReluChainPlan(bn, relu, drop), chain);
        Assert.Equal(drop, chain.Last);
        Assert.Equal(new[] { -1, -1, 0, 0, 0, -1 }, exec.ChainOf);
        Assert.True(exec.AliasesAtInference[drop]);
        Assert.Equal(["_bn1FoldedWeight", "_bn1FoldedBias"], Fields(exec, BufferPass.Inference));
        // Conv weights [4, 2, 3, 3]: 72 folded weights, one bias per output channel; fixed sizes, not per batch item.
        var folded = exec.Buffers.Where(b => b.Pass == BufferPass.Inference).Select(b => Assert.Single(b.Sizes)).ToList();
        Assert.Equal([new BufferSize(new EquatableArray<SizeExpr>([SizeExpr.Fixed(72)]), false), new BufferSize(new EquatableArray<SizeExpr>([SizeExpr.Fixed(4)]), false)], folded);
        Assert.Contains("_dropout1Mask", exec.Buffers.Select(b => b.Field));
        Assert.Equal(["_bn1SavedMean", "_bn1SavedInvStd"], exec.Buffers.Where(b => b.Role is BufferRole.SavedMean or BufferRole.SavedInvStd).Select(b => b.Field));
        // Training only: BatchNorm's saved statistics and the mask are never written by an inference Forward.
        Assert.All(exec.Buffers.Where(b => b.Pass == BufferPass.Forward), b => Assert.False(b.AtInference));
    }

    [Fact]
    public void A_conv_read_twice_is_not_folded_and_a_residual_add_lists_both_readers()
    {
        var (plan, exec) = Plan([2, 6, 6],
            Layer("Conv", 3, 3, name: "c"), Layer("BatchNorm", name: "bn"), Layer("Relu"),
            Layer("Add", inputs: ["c", "relu1"]));
        int c = Index(plan, "c"), bn = Index(plan, "bn"), relu = Index(plan, "relu1"), add = Index(plan, "add1");
        Assert.Equal(new[] { bn, add }, exec.Readers[c]);
        Assert.Equal(-1, exec.FoldTarget[c]);
        Assert.Equal(-1, exec.FoldSource[bn]);
        Assert.Empty(Fields(exec, BufferPass.Inference));
        // bn -> relu still fuses (the Relu's only reader is the Add, so no Dropout joins).
        Assert.Equal(new ReluChainPlan(bn, relu, -1), Assert.Single(exec.Chains));
        Assert.All(exec.Live, Assert.True);
    }

    [Fact]
    public void The_output_norm_is_folded_but_never_the_head_of_a_chain()
    {
        var (plan, exec) = Plan([2, 9, 9], Layer("Conv", 4, 3), Layer("BatchNorm"));
        Assert.Equal(Index(plan, "bn1"), exec.FoldTarget[Index(plan, "conv1")]);
        Assert.Empty(exec.Chains);
        // The last node has no gradient buffer of its own (Backward's caller gives it).
        Assert.DoesNotContain("_bn1Grad", exec.Buffers.Select(b => b.Field));
        Assert.Contains("_bn1Out", exec.Buffers.Select(b => b.Field));
    }

    [Fact]
    public void A_unet_keeps_switches_for_its_unpool_and_a_dead_branch_is_not_live()
    {
        var (plan, exec) = Plan([2, 8, 8],
            Layer("Conv", 4, 3, name: "enc"), Layer("MaxPool", kernel: 2, name: "pool", keepSwitches: true),
            Layer("Conv", 4, 1, name: "side", from: "enc"),
            Layer("Conv", 4, 1, name: "mid", from: "pool"), Layer("MaxUnpool", switches: "pool", name: "unpool"),
            Layer("Concat", inputs: ["unpool", "enc"], name: "cat"), Layer("Deconv", 2, 3, name: "dec"));
        int pool = Index(plan, "pool"), side = Index(plan, "side"), unpool = Index(plan, "unpool");
        Assert.Equal(pool, ((UnpoolDetail)plan.Nodes[unpool].Detail).Pool);
        var switches = exec.Buffers.Single(b => b.Role == BufferRole.Switches);
        Assert.Equal(("_poolSwitches", pool, true), (switches.Field, switches.Node, switches.IsInt));
        // The unpool reads them at inference too.
        Assert.True(switches.AtInference);
        Assert.False(exec.Live[side]);
        Assert.True(exec.Live[Index(plan, "enc")]);
        Assert.Equal(new[] { pool, side, Index(plan, "cat") }, exec.Readers[Index(plan, "enc")].OrderBy(i => i));
        // One Deconv: the shared scratch is sized for its input (the Concat's output), after every layer's buffers.
        var scratch = exec.Buffers.Where(b => b.Pass != BufferPass.Slot).Last();
        Assert.Equal((BufferRole.Scratch, -1, BufferPass.Backward), (scratch.Role, scratch.Node, scratch.Pass));
        Assert.Equal(new BufferSize(plan.Nodes[Index(plan, "cat")].Shape, true), Assert.Single(scratch.Sizes));
    }

    [Fact]
    public void Dropout_on_the_input_is_copied_at_inference_and_dense_buffers_skip_folded_convs_and_aliases()
    {
        var (plan, exec) = Plan([2, 8, 8], Layer("Dropout", rate: 0.5), Layer("Conv", 3, 3), Layer("Tanh"));
        Assert.False(exec.AliasesAtInference[Index(plan, "dropout1")]);

        var spec = new NetworkSpec("Tests", "Dense", "public", "Tests.Dense", EquatableArray<ContainingType>.Empty,
            new InputSpec(new EquatableArray<int>([2, -1, -1]), "input", EquatableArray<ArgSpan>.Empty),
            new EquatableArray<LayerSpec>(new[]
            {
                Layer("Conv", 4, 3), Layer("BatchNorm"), Layer("Relu"), Layer("Dropout", rate: 0.3), Layer("Conv", 3, 3),
            }.Select((l, i) => l with { Index = i })), SourceSpan.None) { Dense = true };
        var dense = NetworkPlanner.Plan(spec, CancellationToken.None).Value;
        Assert.NotNull(dense);
        var denseExec = ExecutionPlanner.Plan(dense!);
        Assert.Equal(["_bn1DenseOut", "_relu1DenseOut", "_conv2DenseOut"], Fields(denseExec, BufferPass.Dense));
    }

    [Fact]
    public void A_residual_block_plans_the_Add_and_Relu_into_the_second_conv_and_the_Relu_into_the_first()
    {
        var (plan, exec) = Plan([4, 6, 6],
            Layer("Conv", 4, 1, name: "c1"), Layer("BatchNorm", name: "bn1"), Layer("Relu", name: "r1"),
            Layer("Conv", 4, 1, name: "c2"), Layer("BatchNorm", name: "bn2"), Layer("Add", inputs: ["input", "bn2"], name: "add"), Layer("Relu", name: "r2"));
        int c1 = Index(plan, "c1"), r1 = Index(plan, "r1"), c2 = Index(plan, "c2"), add = Index(plan, "add"), r2 = Index(plan, "r2");
        Assert.Equal([new ConvEpiloguePlan(c1, -1, -1, r1), new ConvEpiloguePlan(c2, add, 0, r2)], exec.Epilogues);
        Assert.Equal(r2, exec.Epilogues[1].Last);
        Assert.Equal(new[] { -1, 0, -1, 0, 1, -1, 1, 1 }, exec.EpilogueOf);
        // The buffers stay: training writes every output.
        Assert.Contains("_addOut", exec.Buffers.Select(b => b.Field));
    }

    [Fact]
    public void The_later_conv_of_an_Add_carries_it_and_a_net_without_a_norm_plans_only_a_Relu_into_its_conv()
    {
        var (plan, exec) = Plan([4, 6, 6],
            Layer("Conv", 4, 1, name: "c1"), Layer("BatchNorm", name: "bn1"),
            Layer("Conv", 4, 1, name: "down", from: "input"), Layer("BatchNorm", name: "bn2"), Layer("Add", inputs: ["bn1", "bn2"], name: "add"));
        Assert.Equal([new ConvEpiloguePlan(Index(plan, "down"), Index(plan, "add"), Index(plan, "bn1"), -1)], exec.Epilogues);
        Assert.Equal(-1, exec.EpilogueOf[Index(plan, "c1")]);

        // Backward may follow an inference Forward without a BatchNorm: only a Relu fuses (its Backward reads its own
        // output, not the conv's skipped one); an activation whose gradient needs its input, or an Add, does not.
        var (relu, plain) = Plan([4, 6, 6], Layer("Conv", 4, 1, name: "c"), Layer("Relu", name: "r"), Layer("Dropout", rate: 0.5), Layer("Conv", 4, 1));
        Assert.Equal([new ConvEpiloguePlan(Index(relu, "c"), -1, -1, Index(relu, "r"))], plain.Epilogues);
        var (_, tanh) = Plan([4, 6, 6], Layer("Conv", 4, 1), Layer("Tanh"), Layer("Conv", 4, 1));
        Assert.Empty(tanh.Epilogues);
        var (_, sum) = Plan([4, 6, 6], Layer("Conv", 4, 1, name: "c1"), Layer("Conv", 4, 1, name: "c2", from: "input"), Layer("Add", inputs: ["c1", "c2"]));
        Assert.Empty(sum.Epilogues);
        Assert.All(sum.EpilogueOf, k => Assert.Equal(-1, k));
    }
}
