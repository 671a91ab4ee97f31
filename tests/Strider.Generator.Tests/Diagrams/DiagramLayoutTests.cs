using System.Globalization;
using System.Xml.Linq;
using Strider.Generator.Emit;
using Strider.Generator.Model;
using Strider.Generator.Planning;

namespace Strider.Generator.Tests.Diagrams;

/// <summary>The diagram layout on its own (no Roslyn): boxes apart, arrows joined to their boxes, side lanes distinct.</summary>
public class DiagramLayoutTests
{
    private static DiagramNode Node(string name, LayerKind kind, params int[] inputs) => new(name, kind.ToString(), "8x4x4", kind, inputs);

    /// <summary>Input, then a chain; layer i reads layer i - 1.</summary>
    private static List<DiagramNode> Chain(int layers)
    {
        var nodes = new List<DiagramNode> { Node("input", LayerKind.Input) };
        for (int i = 1; i <= layers; i++) nodes.Add(Node("conv" + i, LayerKind.Conv, i - 1));
        return nodes;
    }

    /// <summary>A U-net's shape: two nested skips into Adds (the outer from the input), as in the Ddae sample.</summary>
    private static List<DiagramNode> Unet()
    {
        var nodes = Chain(6);                                       // 0 input, 1..6 convs
        nodes.Add(Node("add1", LayerKind.Add, 6, 2));               // 7: inner skip 2 -> 7
        nodes.Add(Node("conv7", LayerKind.Conv, 7));                // 8
        nodes.Add(Node("add2", LayerKind.Add, 0, 8));               // 9: outer skip 0 -> 9
        return nodes;
    }

    /// <summary>Random graphs: each node reads the previous one or an earlier one by From, merges read 2-3 earlier nodes, some unpool and tie links.</summary>
    private static List<DiagramNode> RandomGraph(int seed)
    {
        var random = new Random(seed);
        int count = random.Next(1, 30);
        var nodes = new List<DiagramNode> { Node("input", LayerKind.Input) };
        for (int i = 1; i < count; i++)
        {
            int roll = random.Next(10);
            if (roll < 2 && i >= 2)
                nodes.Add(Node("add" + i, LayerKind.Add, Enumerable.Range(0, random.Next(2, 4)).Select(_ => random.Next(i)).ToArray()));
            else if (roll < 4)
                nodes.Add(Node("from" + i, LayerKind.Relu, random.Next(i)));
            else if (roll < 5 && i >= 2)
                nodes.Add(new DiagramNode("unpool" + i, "MaxUnpool", "8x4x4", LayerKind.MaxUnpool, new[] { i - 1 }, SwitchesOf: random.Next(i - 1)));
            else if (roll < 6 && i >= 2)
                nodes.Add(new DiagramNode("deconv" + i, "Deconv", "8x4x4", LayerKind.Deconv, new[] { i - 1 }, TiedTo: random.Next(i - 1)));
            else
                nodes.Add(Node("conv" + i, LayerKind.Conv, i - 1));
        }
        return nodes;
    }

    public static TheoryData<int> Seeds()
    {
        var seeds = new TheoryData<int>();
        for (int s = 0; s < 40; s++) seeds.Add(s);
        return seeds;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Random_graphs_lay_out_with_boxes_apart_arrows_on_their_boxes_and_distinct_lanes(int seed)
    {
        var nodes = RandomGraph(seed);
        var layout = DiagramLayout.Compute("Random " + seed, nodes);
        AssertWellFormed(nodes, layout);
    }

    [Fact]
    public void Unet_skips_nest_on_distinct_lanes_the_outer_one_outside()
    {
        var layout = DiagramLayout.Compute("Unet", Unet());
        AssertWellFormed(Unet(), layout);
        var inner = Assert.Single(layout.Edges, e => e.From == 2 && e.To == 7);
        var outer = Assert.Single(layout.Edges, e => e.From == 0 && e.To == 9);
        Assert.Equal(DiagramEdgeKind.Merge, inner.Kind);
        Assert.Equal(0, inner.Lane);
        Assert.Equal(1, outer.Lane);
        Assert.True(outer.Points[1].X > inner.Points[1].X);
        Assert.Equal(9, layout.Edges.Count(e => e.Kind == DiagramEdgeKind.Sequence)); // 0-1 ... 5-6, then 6-7, 7-8, 8-9
    }

    [Fact]
    public void A_chain_has_only_straight_arrows_and_no_key()
    {
        var layout = DiagramLayout.Compute("Chain", Chain(4));
        Assert.All(layout.Edges, e => Assert.Equal(DiagramEdgeKind.Sequence, e.Kind));
        Assert.Equal(4, layout.Edges.Count);
        Assert.Empty(layout.Key);
        Assert.Equal(0, layout.LaneCount);
        Assert.Equal(DiagramLayout.Margin + layout.Boxes[0].Width + DiagramLayout.Margin, layout.Width);
    }

    [Fact]
    public void Merging_the_previous_layer_twice_draws_one_straight_arrow_and_one_side_arrow()
    {
        var nodes = Chain(1);
        nodes.Add(Node("add1", LayerKind.Add, 1, 1));
        var layout = DiagramLayout.Compute("Twice", nodes);
        AssertWellFormed(nodes, layout);
        Assert.Single(layout.Edges, e => e.Kind == DiagramEdgeKind.Sequence && e.From == 1);
        Assert.Single(layout.Edges, e => e.Kind == DiagramEdgeKind.Merge && e.From == 1);
    }

    [Fact]
    public void Two_arrows_leaving_one_box_leave_at_different_heights()
    {
        var nodes = Chain(2);
        nodes.Add(Node("a", LayerKind.Relu, 0));
        nodes.Add(Node("b", LayerKind.Relu, 0));
        var layout = DiagramLayout.Compute("Fan-out", nodes);
        AssertWellFormed(nodes, layout);
        var starts = layout.Edges.Where(e => e.From == 0 && e.Kind == DiagramEdgeKind.From).Select(e => e.Points[0].Y).ToList();
        Assert.Equal(2, starts.Count);
        Assert.NotEqual(starts[0], starts[1]);
    }

    [Fact]
    public void A_link_to_a_later_node_is_refused_with_its_name()
    {
        var nodes = Chain(1);
        nodes.Add(Node("bad", LayerKind.Relu, 5));
        var error = Assert.Throws<ArgumentException>(() => DiagramLayout.Compute("Bad", nodes));
        Assert.Contains("'bad'", error.Message);
    }

    [Fact]
    public void Box_width_fits_the_longest_caption_at_0_6_em_per_character()
    {
        var nodes = Chain(1);
        nodes.Add(new DiagramNode("a_rather_long_layer_name", "Deconv 64 5x5 /2 tied conv1", "64xAnyxAny", LayerKind.Deconv, new[] { 1 }));
        var layout = DiagramLayout.Compute("Wide", nodes);
        int caption = "a_rather_long_layer_name: Deconv 64 5x5 /2 tied conv1".Length;
        Assert.True(layout.Boxes[0].Width >= caption * 7.2 + 2 * DiagramLayout.TextPad);
        Assert.All(layout.Boxes, b => Assert.Equal(layout.Boxes[0].Width, b.Width));
    }

    [Fact]
    public void Svg_escapes_names_and_parses_as_xml()
    {
        var nodes = Chain(1);
        nodes.Add(new DiagramNode("a<b>&\"c'", "Relu", "8x4x4", LayerKind.Relu, new[] { 0 }));
        string svg = DiagramSvg.Write(DiagramLayout.Compute("T<&>", nodes));
        var root = XDocument.Parse(svg).Root!;
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Contains(root.Elements(ns + "text"), t => t.Element(ns + "tspan")?.Value == "a<b>&\"c'");
        Assert.Equal("T<&>", root.Element(ns + "title")!.Value);
        Assert.DoesNotContain("\"", svg); // it sits in a C# verbatim string unchanged
    }

    [Fact]
    public void Svg_is_the_same_under_any_culture()
    {
        var nodes = Unet();
        string invariant = DiagramSvg.Write(DiagramLayout.Compute("Unet", nodes));
        var saved = CultureInfo.CurrentCulture;
        try
        {
            foreach (var name in new[] { "fr-FR", "ar-SA", "fa-IR", "de-CH" })
            {
                CultureInfo.CurrentCulture = new CultureInfo(name);
                Assert.Equal(invariant, DiagramSvg.Write(DiagramLayout.Compute("Unet", nodes)));
            }
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }
    }

    [Fact]
    public void Generator_and_runtime_name_the_same_arrow_kinds()
    {
        Assert.Equal(Enum.GetNames<DiagramEdgeKind>(), Enum.GetNames<Strider.IO.DiagramEdgeKind>());
    }

    /// <summary>The layout's promises: see each assertion.</summary>
    private static void AssertWellFormed(IReadOnlyList<DiagramNode> nodes, DiagramLayout layout)
    {
        Assert.Equal(nodes.Count, layout.Boxes.Count);
        // Boxes: inside the picture, in one column, in node order, apart.
        for (int i = 0; i < layout.Boxes.Count; i++)
        {
            var b = layout.Boxes[i];
            Assert.Equal(i, b.Node);
            Assert.True(b.X >= 0 && b.Y >= 0 && b.Right <= layout.Width && b.Bottom <= layout.Height, $"box {i} leaves the picture");
            for (int j = 0; j < i; j++)
            {
                var a = layout.Boxes[j];
                Assert.False(a.X < b.Right && b.X < a.Right && a.Y < b.Bottom && b.Y < a.Bottom, $"boxes {j} and {i} overlap");
            }
        }
        // One arrow per input and link.
        int links = nodes.Sum(n => n.Inputs.Count + (n.SwitchesOf >= 0 ? 1 : 0) + (n.TiedTo >= 0 ? 1 : 0));
        Assert.Equal(links, layout.Edges.Count);
        var sides = layout.Edges.Where(e => e.Kind != DiagramEdgeKind.Sequence).ToList();
        foreach (var e in layout.Edges)
        {
            var from = layout.Boxes[e.From];
            var to = layout.Boxes[e.To];
            var first = e.Points[0];
            var last = e.Points[e.Points.Count - 1];
            for (int k = 1; k < e.Points.Count; k++)
                Assert.True(e.Points[k].X == e.Points[k - 1].X || e.Points[k].Y == e.Points[k - 1].Y, $"arrow {e.From} -> {e.To} has a slanted segment");
            if (e.Kind == DiagramEdgeKind.Sequence)
            {
                Assert.Equal(e.From + 1, e.To);
                Assert.Equal(-1, e.Lane);
                Assert.Equal(new DiagramPoint(from.CenterX, from.Bottom), first);
                Assert.Equal(new DiagramPoint(to.CenterX, to.Y), last);
            }
            else
            {
                // Leaves the source's right side, enters the target's right side, runs on its lane right of every box.
                Assert.Equal(from.Right, first.X);
                Assert.InRange(first.Y, from.Y + 1, from.Bottom - 1);
                Assert.Equal(to.Right, last.X);
                Assert.InRange(last.Y, to.Y + 1, to.Bottom - 1);
                Assert.Equal(4, e.Points.Count);
                Assert.Equal(from.Right + DiagramLayout.LaneGap * (e.Lane + 1), e.Points[1].X);
                Assert.True(e.Points[1].X < layout.Width);
                Assert.True(e.Points[1].Y <= e.Points[2].Y);
            }
        }
        // Side arrows sharing a row (ends included) never share a lane; ports on one box are distinct.
        for (int i = 0; i < sides.Count; i++)
            for (int j = 0; j < i; j++)
            {
                var (a, b) = (sides[i], sides[j]);
                if (a.From <= b.To && b.From <= a.To)
                    Assert.True(a.Lane != b.Lane, $"arrows {a.From} -> {a.To} and {b.From} -> {b.To} share rows and lane {a.Lane}");
            }
        foreach (var box in layout.Boxes)
        {
            var ports = sides.Where(e => e.From == box.Node).Select(e => e.Points[0].Y)
                .Concat(sides.Where(e => e.To == box.Node).Select(e => e.Points[e.Points.Count - 1].Y)).ToList();
            Assert.Equal(ports.Count, ports.Distinct().Count());
        }
        // The key lists each side-arrow kind once, below the last box.
        Assert.Equal(sides.Select(e => e.Kind).Distinct().OrderBy(k => k), layout.Key.Select(k => k.Kind));
        Assert.All(layout.Key, k => Assert.True(k.Y > layout.Boxes[layout.Boxes.Count - 1].Bottom && k.Y < layout.Height));
        // The SVG of every layout is well-formed XML.
        XDocument.Parse(DiagramSvg.Write(layout));
    }
}
