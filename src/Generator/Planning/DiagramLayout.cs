using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Strider.Generator.Model;

namespace Strider.Generator.Planning;

/// <summary>What the diagram shows of one node: name, kind (the Summary's Kind column), output shape, inputs and links.</summary>
/// <param name="Inputs">Indices of the nodes it reads, in order (a merge lists each of its names).</param>
/// <param name="SwitchesOf">The MaxPool whose switches a MaxUnpool reads, or -1.</param>
/// <param name="TiedTo">The Conv whose weights a tied Deconv shares, or -1.</param>
internal sealed record DiagramNode(string Name, string Kind, string Shape, LayerKind Category, IReadOnlyList<int> Inputs, int SwitchesOf = -1, int TiedTo = -1)
{
    /// <summary>The box colour: the layer rule's (<see cref="Layers.LayerRule.Fill"/>).</summary>
    public string Fill { get; init; } = "#ffffff";
}

/// <summary>Why an arrow is drawn; the runtime's <c>Strider.IO.DiagramEdgeKind</c> has the same names.</summary>
internal enum DiagramEdgeKind
{
    /// <summary>A layer reads the one declared just before it: a short arrow straight down.</summary>
    Sequence,

    /// <summary>A layer reads an earlier layer named by <c>From</c>.</summary>
    From,

    /// <summary>An Add or Concat reads an earlier layer by name (a skip connection).</summary>
    Merge,

    /// <summary>A MaxUnpool reads the switches its MaxPool kept.</summary>
    Switches,

    /// <summary>A Deconv shares the weights of the Conv it is tied to.</summary>
    Tied,
}

internal readonly record struct DiagramPoint(int X, int Y);

/// <summary>One layer's box; <see cref="Fill"/> is a #rrggbb colour by layer family.</summary>
internal sealed record DiagramBox(int Node, string Name, string Kind, string Shape, string Fill, int X, int Y, int Width, int Height)
{
    public int Right => X + Width;
    public int Bottom => Y + Height;
    public int CenterX => X + Width / 2;

    /// <summary>The first text line: name and kind.</summary>
    public string Caption => Name + ": " + Kind;
}

/// <summary>An arrow from box <see cref="From"/> to box <see cref="To"/> along axis-aligned segments; the last point is its tip.</summary>
/// <param name="Lane">The side lane (0 nearest the boxes) of an arrow routed beside the column; -1 for a <see cref="DiagramEdgeKind.Sequence"/> arrow.</param>
internal sealed record DiagramEdge(int From, int To, DiagramEdgeKind Kind, int Lane, IReadOnlyList<DiagramPoint> Points);

/// <summary>One line of the colour key: a short stroke of the arrow style from (X, Y) to (X + <see cref="DiagramLayout.KeyStroke"/>, Y), then the text.</summary>
internal sealed record DiagramKeyItem(DiagramEdgeKind Kind, string Text, int X, int Y);

/// <summary>
/// The network diagram laid out on an integer grid, independent of how it is drawn (SVG at compile time, PNG at run time):
/// a title, one box per node in a column in declaration order, straight arrows between consecutive layers, and every other
/// arrow (From, merge inputs, unpool switches, tied weights) routed on a lane to the right of the column, so none crosses a
/// box. Lanes are given shortest span first, each the nearest one free over its rows, so nested skips (a U-net) nest
/// without crossing. Rows come from one list, so blocks can later become frames around consecutive rows.
/// Text widths assume a monospace font of <see cref="FontSize"/> px (0.6 em per character).
/// </summary>
internal sealed class DiagramLayout
{
    public const int FontSize = 12;
    public const int TitleFontSize = 14;
    public const int Margin = 20;
    public const int TitleHeight = 30;
    public const int BoxHeight = 38;
    public const int RowGap = 24;
    public const int TextPad = 12;
    public const int MinBoxWidth = 150;
    public const int LaneGap = 14;
    public const int KeyLine = 18;
    public const int KeyStroke = 26;
    public const int ArrowLength = 7;
    public const int ArrowHalfWidth = 4;

    private DiagramLayout(string title, int width, int height, IReadOnlyList<DiagramBox> boxes, IReadOnlyList<DiagramEdge> edges, IReadOnlyList<DiagramKeyItem> key)
    {
        Title = title;
        Width = width;
        Height = height;
        Boxes = boxes;
        Edges = edges;
        Key = key;
    }

    public string Title { get; }
    public int Width { get; }
    public int Height { get; }

    /// <summary>One per node, in node order.</summary>
    public IReadOnlyList<DiagramBox> Boxes { get; }

    /// <summary>Straight arrows first (in node order), then side arrows (by target, then input order).</summary>
    public IReadOnlyList<DiagramEdge> Edges { get; }

    public IReadOnlyList<DiagramKeyItem> Key { get; }

    /// <summary>Number of side lanes in use.</summary>
    public int LaneCount => Edges.Count == 0 ? 0 : Edges.Max(e => e.Lane) + 1;

    /// <summary>The diagram of a planned network: its nodes as the Summary shows them, titled with the class and parameter count.</summary>
    public static DiagramLayout FromPlan(NetworkPlan plan)
    {
        var nodes = new List<DiagramNode>();
        foreach (var n in plan.Nodes)
        {
            string shape = string.Join("x", n.Shape.Select(d => d.ToText()));
            int tiedTo = -1;
            if (n.Kind == LayerKind.Deconv && n.Weight >= 0)
                foreach (var other in plan.Nodes)
                    if (other.Index < n.Index && other.Kind == LayerKind.Conv && other.Weight == n.Weight) { tiedTo = other.Index; break; }
            nodes.Add(new DiagramNode(n.Name, n.Label, shape, n.Kind, n.Inputs.ToArray(), n.Detail is UnpoolDetail unpool ? unpool.Pool : -1, tiedTo) { Fill = n.Rule.Fill });
        }
        string title = plan.ClassName + ": " + plan.ParameterCount.ToString("N0", CultureInfo.InvariantCulture) + " parameters";
        return Compute(title, nodes);
    }

    /// <summary>Lays out <paramref name="nodes"/> (node 0 first; inputs refer to earlier nodes) under <paramref name="title"/>.</summary>
    public static DiagramLayout Compute(string title, IReadOnlyList<DiagramNode> nodes)
    {
        for (int i = 0; i < nodes.Count; i++)
            foreach (int j in Links(nodes[i]).Select(l => l.From))
                if (j < 0 || j >= i)
                    throw new ArgumentException($"Diagram node {i} ('{nodes[i].Name}') links to node {j}: only earlier nodes can be inputs.", nameof(nodes));

        int textWidth = nodes.Count == 0 ? 0 : nodes.Max(n => Math.Max(TextWidth(n.Name.Length + 2 + n.Kind.Length, FontSize), TextWidth(n.Shape.Length, FontSize)));
        int boxWidth = Math.Max(MinBoxWidth, textWidth + 2 * TextPad);
        boxWidth += boxWidth % 2; // an even width centres text and arrows on whole pixels
        int top = Margin + TitleHeight;
        var boxes = new List<DiagramBox>();
        for (int i = 0; i < nodes.Count; i++)
            boxes.Add(new DiagramBox(i, nodes[i].Name, nodes[i].Kind, nodes[i].Shape, nodes[i].Fill, Margin, top + i * (BoxHeight + RowGap), boxWidth, BoxHeight));

        var straight = new List<DiagramEdge>();
        var side = new List<(int From, int To, DiagramEdgeKind Kind)>();
        for (int i = 0; i < nodes.Count; i++)
        {
            bool sequenced = false;
            foreach (var (from, kind) in Links(nodes[i]))
            {
                if (!sequenced && from == i - 1 && (kind is DiagramEdgeKind.From or DiagramEdgeKind.Merge))
                {
                    sequenced = true;
                    var a = boxes[from];
                    var b = boxes[i];
                    straight.Add(new DiagramEdge(from, i, DiagramEdgeKind.Sequence, -1, new[] { new DiagramPoint(a.CenterX, a.Bottom), new DiagramPoint(b.CenterX, b.Y) }));
                }
                else side.Add((from, i, kind));
            }
        }

        int[] lanes = AssignLanes(side);
        var ports = AssignPorts(side, lanes, boxes);
        int laneBase = Margin + boxWidth;
        var routed = new List<DiagramEdge>();
        for (int e = 0; e < side.Count; e++)
        {
            var (from, to, kind) = side[e];
            int x = laneBase + LaneGap * (lanes[e] + 1);
            int yOut = ports[(e, false)], yIn = ports[(e, true)];
            routed.Add(new DiagramEdge(from, to, kind, lanes[e], new[]
            {
                new DiagramPoint(boxes[from].Right, yOut), new DiagramPoint(x, yOut), new DiagramPoint(x, yIn), new DiagramPoint(boxes[to].Right, yIn),
            }));
        }

        int laneCount = lanes.Length == 0 ? 0 : lanes.Max() + 1;
        int bottom = boxes.Count == 0 ? top : boxes[boxes.Count - 1].Bottom;
        var key = new List<DiagramKeyItem>();
        foreach (var kind in routed.Select(e => e.Kind).Distinct().OrderBy(k => k))
        {
            bottom += KeyLine;
            key.Add(new DiagramKeyItem(kind, KeyText(kind), Margin, bottom));
        }
        int width = Math.Max(laneBase + LaneGap * laneCount + Margin, 2 * Margin + TextWidth(title.Length, TitleFontSize));
        foreach (var item in key) width = Math.Max(width, item.X + KeyStroke + 8 + TextWidth(item.Text.Length, FontSize) + Margin);
        return new DiagramLayout(title, width, bottom + Margin, boxes, straight.Concat(routed).ToList(), key);
    }

    /// <summary>Every arrow into a node: its inputs (From or merge), then the pool whose switches it reads, then the tied Conv.</summary>
    private static IEnumerable<(int From, DiagramEdgeKind Kind)> Links(DiagramNode node)
    {
        var kind = LayerKinds.IsMerge(node.Category) ? DiagramEdgeKind.Merge : DiagramEdgeKind.From;
        foreach (int input in node.Inputs) yield return (input, kind);
        if (node.SwitchesOf >= 0) yield return (node.SwitchesOf, DiagramEdgeKind.Switches);
        if (node.TiedTo >= 0) yield return (node.TiedTo, DiagramEdgeKind.Tied);
    }

    /// <summary>Shortest span first, each arrow takes the lowest lane that no arrow sharing one of its rows (ends included) holds.</summary>
    private static int[] AssignLanes(List<(int From, int To, DiagramEdgeKind Kind)> side)
    {
        var lanes = new int[side.Count];
        var placed = new List<int>();
        foreach (int e in Enumerable.Range(0, side.Count).OrderBy(e => side[e].To - side[e].From).ThenBy(e => side[e].From).ThenBy(e => e))
        {
            int lane = 0;
            while (placed.Any(p => lanes[p] == lane && side[p].From <= side[e].To && side[e].From <= side[p].To)) lane++;
            lanes[e] = lane;
            placed.Add(e);
        }
        return lanes;
    }

    /// <summary>
    /// Where each side arrow leaves (incoming false) or enters (true) its box's right side: arrivals above departures,
    /// arrivals by lane from the inside out and departures from the outside in, so that no stub crosses another arrow's lane.
    /// </summary>
    private static Dictionary<(int Edge, bool Incoming), int> AssignPorts(List<(int From, int To, DiagramEdgeKind Kind)> side, int[] lanes, List<DiagramBox> boxes)
    {
        var ports = new Dictionary<(int, bool), int>();
        foreach (var box in boxes)
        {
            var order = Enumerable.Range(0, side.Count).Where(e => side[e].To == box.Node).OrderBy(e => lanes[e]).Select(e => (e, true))
                .Concat(Enumerable.Range(0, side.Count).Where(e => side[e].From == box.Node).OrderByDescending(e => lanes[e]).Select(e => (e, false)))
                .ToList();
            for (int k = 0; k < order.Count; k++) ports[order[k]] = box.Y + (k + 1) * box.Height / (order.Count + 1);
        }
        return ports;
    }

    /// <summary>Width in px of <paramref name="characters"/> monospace characters at <paramref name="fontSize"/> px (0.6 em each, rounded up).</summary>
    public static int TextWidth(int characters, int fontSize) => (characters * fontSize * 3 + 4) / 5;

    /// <summary>Stroke colour of an arrow kind (the runtime renderer uses the same table).</summary>
    public static string Stroke(DiagramEdgeKind kind) => kind switch
    {
        DiagramEdgeKind.Sequence => "#555555",
        DiagramEdgeKind.From => "#2b6cb0",
        DiagramEdgeKind.Merge => "#c05621",
        DiagramEdgeKind.Switches => "#2f855a",
        _ => "#805ad5",
    };

    /// <summary>Dashed arrows carry no activations (switches, tied weights).</summary>
    public static bool Dashed(DiagramEdgeKind kind) => kind is DiagramEdgeKind.Switches or DiagramEdgeKind.Tied;

    private static string KeyText(DiagramEdgeKind kind) => kind switch
    {
        DiagramEdgeKind.From => "From: input taken from an earlier layer",
        DiagramEdgeKind.Merge => "merge input (skip connection)",
        DiagramEdgeKind.Switches => "MaxUnpool reads its MaxPool's switches",
        DiagramEdgeKind.Tied => "Deconv tied to its Conv's weights",
        _ => "next layer",
    };
}
