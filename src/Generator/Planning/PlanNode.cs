using System.Collections.Generic;
using Strider.Generator.Model;
using Strider.Shapes;

namespace Strider.Generator.Planning;

/// <summary>A node while planning: mutable, never leaves the planner.</summary>
internal sealed class PlanNode
{
    public PlanNode(int index, Layers.LayerRule rule, string name, LayerSpec? layer)
    {
        Index = index;
        Rule = rule;
        Name = name;
        Layer = layer;
    }

    public int Index { get; }
    public Layers.LayerRule Rule { get; }
    public LayerKind Kind => Rule.Kind;
    public string Name { get; }
    public LayerSpec? Layer { get; }
    public List<int> Inputs { get; } = new();

    /// <summary>A structural error upstream or here: no shapes are computed from this node on.</summary>
    public bool Failed { get; set; }

    public int Channels { get; set; }

    /// <summary>Layout [C, spatial axes...] tracked per axis in the axis graphs; otherwise generic concrete dims.</summary>
    public bool Spatial { get; set; }

    /// <summary>Per spatial axis: this node's id in that axis's graph.</summary>
    public int[] AxisNodes { get; set; } = System.Array.Empty<int>();

    /// <summary>Per spatial axis: the concrete size when the axis is fixed (or -1 when free).</summary>
    public long[] AxisSizes { get; set; } = System.Array.Empty<long>();

    /// <summary>Generic layout: the concrete dims (no batch).</summary>
    public int[] Dims { get; set; } = System.Array.Empty<int>();

    /// <summary>Window layers: one entry per spatial axis (H then W; 1-D has one).</summary>
    public WindowAxis[] Windows { get; set; } = System.Array.Empty<WindowAxis>();

    /// <summary>Pad (positive) or crop (negative) per spatial axis: begins then ends.</summary>
    public int[] PadBegin { get; set; } = System.Array.Empty<int>();
    public int[] PadEnd { get; set; } = System.Array.Empty<int>();

    public int Weight { get; set; } = -1;
    public int Bias { get; set; } = -1;
    public int RunningMean { get; set; } = -1;
    public int RunningVar { get; set; } = -1;
    public int SwitchesOf { get; set; } = -1;
    public bool KeepsSwitches { get; set; }

    /// <summary>Conv and Deconv: the channel groups (PyTorch's groups), 1 for an ordinary convolution.</summary>
    public int Groups { get; set; } = 1;

    /// <summary>Add and Multiply: the input (by position) broadcast over the other, its spatial axes all 1; -1 for none.</summary>
    public int BroadcastGate { get; set; } = -1;
    public int[] Axes { get; set; } = System.Array.Empty<int>();
    public string Label { get; set; } = "";
}
