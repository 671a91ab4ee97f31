using Strider.Generator.Emit;
using Strider.Generator.Model;

namespace Strider.Generator.Layers;

/// <summary>
/// The passes of a layer that is one box copy between its input and its output, through the "Copy" and "GradientCopy"
/// geometry its rule declares: a pad (Pad, ChannelPad: zeros around the copied box) or a crop (Crop, ChannelSlice: the
/// values outside the box get no gradient).
/// </summary>
internal static class BoxCopyPasses
{
    /// <summary>A pad's forward: zeros, then the input copied into its box of the output.</summary>
    public static void PadForward(LayerWriter w, NodePlan n)
    {
        w.Line($"d.Fill({w.A(n)}, 0, {w.Count(n)}, 0f);");
        CropForward(w, n);
    }

    /// <summary>A pad's backward: the input's gradient is the output gradient's box.</summary>
    public static void PadBackward(LayerWriter w, NodePlan n, BackwardOps ops)
    {
        int i = n.Inputs[0];
        ops.Gradient(i, $"d.CopyBox({w.Geometry(n, "GradientCopy")}, n, {w.G(n)}, {w.G(w.Node(i))}, {ops.Acc(i)});");
    }

    /// <summary>A crop's forward: the input's box copied into the output.</summary>
    public static void CropForward(LayerWriter w, NodePlan n) =>
        w.Line($"d.CopyBox({w.Geometry(n, "Copy")}, n, {w.A(w.InputOf(n))}, {w.A(n)}, false);");

    /// <summary>A crop's backward: the output gradient added into its box of the input's; the values it dropped get none.</summary>
    public static void CropBackward(LayerWriter w, NodePlan n, BackwardOps ops)
    {
        var input = w.InputOf(n);
        int i = input.Index;
        // Clear the values outside the box when this is the first write of the input's gradient.
        if (ops.Acc(i) == "false") ops.Gradient(i, $"d.Fill({w.G(input)}, 0, {w.Count(input)}, 0f);");
        ops.Gradient(i, $"d.CopyBox({w.Geometry(n, "GradientCopy")}, n, {w.G(n)}, {w.G(input)}, true);");
    }
}
