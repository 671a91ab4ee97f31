using Strider.Generator.Model;
using static Strider.Generator.Tests.Planning.ExecutionPlannerTests;

namespace Strider.Generator.Tests.Planning;

/// <summary>
/// The inference slots (issue 15): an inference Forward writes each layer's output into a slot no live value holds,
/// so its activations take a few buffers, not one per layer.
/// </summary>
public sealed class InferenceSlotPlannerTests
{
    private static BufferPlan[] Slots(ExecutionPlan exec) => exec.Buffers.Where(b => b.Pass == BufferPass.Slot).ToArray();

    private static int SlotOf(NetworkPlan plan, ExecutionPlan exec, string name) => exec.SlotOf[Index(plan, name)];

    [Fact]
    public void A_deep_chain_runs_in_two_slots_each_layer_writing_the_one_its_input_is_not_in()
    {
        var layers = Enumerable.Range(0, 12).SelectMany(i => new[] { Layer("Conv", 8, 3, name: "c" + i), Layer("Relu", name: "r" + i) }).ToArray();
        var (plan, exec) = Plan([3, 32, 32], layers);
        Assert.Equal(["_inferenceSlot0", "_inferenceSlot1"], Slots(exec).Select(b => b.Field));
        Assert.Equal(-1, exec.SlotOf[0]);
        for (int i = 2; i < plan.Nodes.Count; i++)
            Assert.NotEqual(exec.SlotOf[i - 1], exec.SlotOf[i]);
        // Each slot is as long as the largest output it takes (the first conv's 8x30x30, per batch item).
        Assert.Contains(new BufferSize(plan.Nodes[Index(plan, "c0")].Shape, true), Slots(exec)[0].Sizes);
        Assert.All(Slots(exec), b => Assert.Equal((BufferRole.InferenceSlot, -1, false), (b.Role, b.Node, b.IsInt)));
    }

    [Fact]
    public void A_residual_input_stays_live_until_its_add_and_a_folded_conv_writes_its_norms_slot()
    {
        var (plan, exec) = Plan([4, 8, 8],
            Layer("Conv", 4, 3, name: "a"), Layer("Relu", name: "ra"),
            Layer("Conv", 4, 1, name: "b"), Layer("BatchNorm", name: "bnb"), Layer("Relu", name: "rb"),
            Layer("Conv", 4, 1, name: "c"), Layer("BatchNorm", name: "bnc"),
            Layer("Add", inputs: ["ra", "bnc"], name: "add"), Layer("Relu", name: "out"));
        // The folded convs write no buffer of their own at inference; their epilogues write rb and out at the convs' ops,
        // so the norms and the add write nothing either.
        foreach (var name in new[] { "b", "c", "bnb", "bnc", "add" }) Assert.Equal(-1, SlotOf(plan, exec, name));
        int ra = SlotOf(plan, exec, "ra"), rb = SlotOf(plan, exec, "rb"), output = SlotOf(plan, exec, "out");
        // ra is read by b and, as the residual, by c's fused op; rb is c's input: all three are live at c's op.
        Assert.Equal(3, new[] { ra, rb, output }.Distinct().Count());
        Assert.All(new[] { ra, rb, output }, s => Assert.InRange(s, 0, 2));
        Assert.Equal(3, Slots(exec).Length);
    }

    [Fact]
    public void A_conv_epilogues_output_is_live_from_the_convs_op_not_from_its_last_layers_place()
    {
        // c's epilogue writes out at c's op, while its residual ra is still to be read and before rx and w run: none of
        // them may take out's slot, though ra and rx are dead by the place of out's own layer.
        var (plan, exec) = Plan([4, 8, 8],
            Layer("Conv", 4, 3, name: "a"), Layer("Relu", name: "ra"),
            Layer("Conv", 4, 1, name: "c"), Layer("BatchNorm", name: "bnc"),
            Layer("Conv", 4, 1, name: "x", from: "ra"), Layer("Tanh", name: "rx"), Layer("Conv", 4, 1, name: "w"),
            Layer("Add", inputs: ["ra", "bnc"], name: "add"), Layer("Relu", name: "out"),
            Layer("Add", inputs: ["out", "w"], name: "final"));
        Assert.Equal(-1, SlotOf(plan, exec, "add"));
        int output = SlotOf(plan, exec, "out");
        foreach (var name in new[] { "ra", "rx", "w" }) Assert.NotEqual(output, SlotOf(plan, exec, name));
    }

    [Fact]
    public void Views_and_an_aliasing_dropout_share_their_inputs_slot_and_keep_it_live_for_their_readers()
    {
        var (plan, exec) = Plan([2, 8, 8],
            Layer("Conv", 4, 3, name: "c"), Layer("Dropout", rate: 0.5, name: "drop"), Layer("Relu", name: "r"),
            Layer("Conv", 4, 1, name: "d", from: "drop"), Layer("Add", inputs: ["r", "d"], name: "add"));
        Assert.Equal(-1, SlotOf(plan, exec, "drop"));
        int c = SlotOf(plan, exec, "c");
        // d reads c's values through the Dropout after r was written: r must not take c's slot.
        Assert.NotEqual(c, SlotOf(plan, exec, "r"));
        Assert.NotEqual(c, SlotOf(plan, exec, "d"));
        Assert.NotEqual(SlotOf(plan, exec, "r"), SlotOf(plan, exec, "d"));
        Assert.Equal(c, SlotOf(plan, exec, "add"));
    }

    [Fact]
    public void A_skip_keeps_its_slot_until_its_concat_reads_it()
    {
        var (plan, exec) = Plan([2, 8, 8],
            Layer("Conv", 4, 3, name: "enc"), Layer("Conv", 4, 1, name: "mid"), Layer("Conv", 4, 1, name: "mid2"), Layer("Conv", 4, 1, name: "mid3"),
            Layer("Concat", inputs: ["mid3", "enc"], name: "cat"), Layer("Conv", 2, 1, name: "head"));
        int enc = SlotOf(plan, exec, "enc");
        foreach (var name in new[] { "mid", "mid2", "mid3", "cat" }) Assert.NotEqual(enc, SlotOf(plan, exec, name));
        Assert.Equal(enc, SlotOf(plan, exec, "head"));
    }
}
