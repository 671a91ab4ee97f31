using System.Collections.Generic;
using System.Linq;
using Strider.Generator.Model;
using Strider.Shapes;

namespace Strider.Generator.Planning;

/// <summary>Each layer kind's shape rule, argument checks and parameters.</summary>
internal sealed partial class NetworkPlanner
{
    /// <summary>Per axis graph: which plan node owns a merge-check node (to name it in messages).</summary>
    private readonly Dictionary<(int Axis, int AxisNode), int> _axisOwner = new();

    private int SpatialRankOf(PlanNode node) => node.Spatial ? node.AxisNodes.Length : node.Dims.Length - 1;

    /// <summary>Expands a per-axis option: one value for all axes, or one per axis. Null (with a diagnostic) when the count is wrong.</summary>
    private int[]? PerAxis(PlanNode node, string key, int single, EquatableArray<int> many, int rank, string what)
    {
        if (many.Count == 0) return Enumerable.Repeat(single, rank).ToArray();
        if (many.Count == 1) return Enumerable.Repeat(many[0], rank).ToArray();
        if (many.Count == rank) return many.ToArray();
        Report("STR0008", node.Layer!.SpanOf(key), node.Name, $"{key} has {many.Count} values but the layer slides over {rank} axis/axes; give one {what} or one per axis");
        return null;
    }

    internal void PlanWindow(PlanNode node, LayerSpec layer)
    {
        var input = InputOf(node);
        int rank = SpatialRankOf(input);
        if (rank < 1 || rank > 2)
        {
            Report("STR0018", layer.SpanOf(""), node.Name, $"a {layer.Rule.Name} slides over C x L or C x H x W data, but its input is {Describe(input)}");
            node.Failed = true;
            return;
        }
        bool isConv = layer.Kind is LayerKind.Conv or LayerKind.Deconv;
        bool transposed = layer.Kind == LayerKind.Deconv;
        bool ok = true;
        if (isConv && layer.Filters < 1) { Report("STR0008", layer.SpanOf("0"), node.Name, $"the filter count is {layer.Filters}; it must be at least 1"); ok = false; }

        string kernelKey = isConv ? "1" : "0";
        int[]? kernel = layer.Kernel.Count == 2 && rank == 1 ? null : layer.Kernel.Count == 1 ? Enumerable.Repeat(layer.Kernel[0], rank).ToArray() : layer.Kernel.ToArray();
        if (kernel is null || kernel.Length != rank)
        {
            Report("STR0008", layer.SpanOf(kernelKey), node.Name, $"a {layer.Kernel.Count}-axis kernel cannot slide over {rank}-axis data {Describe(input)}");
            node.Failed = true;
            return;
        }
        for (int a = 0; a < rank; a++)
            if (kernel[a] < 1) { Report("STR0008", layer.SpanOf(kernelKey), node.Name, $"the kernel size is {kernel[a]}; it must be at least 1"); ok = false; break; }

        int defaultStride = isConv ? 1 : 0;
        int[]? strides = PerAxis(node, "Strides", layer.Stride, layer.Strides, rank, "stride");
        int[]? dilations = PerAxis(node, "Dilations", layer.Dilation, layer.Dilations, rank, "dilation");
        if (strides is null || dilations is null) { node.Failed = true; return; }
        if (layer.Stride < 0) { Report("STR0008", layer.SpanOf("Stride"), node.Name, $"Stride is {layer.Stride}; it must be at least 1 (0 means the default: 1 for convolutions, the kernel for pooling)"); ok = false; }
        for (int a = 0; a < rank; a++)
        {
            if (strides[a] == 0) strides[a] = defaultStride == 0 ? kernel[a] : defaultStride;
            if (strides[a] < 1 && layer.Stride >= 0) { Report("STR0008", layer.SpanOf("Strides"), node.Name, $"stride {strides[a]} must be at least 1"); ok = false; break; }
        }
        for (int a = 0; a < rank; a++)
            if (dilations[a] < 1) { Report("STR0008", layer.SpanOf(layer.Dilations.Count > 0 ? "Dilations" : "Dilation"), node.Name, $"dilation {dilations[a]} must be at least 1"); ok = false; break; }

        if (layer.Padding < 0 || layer.Padding > 2) { Report("STR0008", layer.SpanOf("Padding"), node.Name, $"padding mode {layer.Padding} is not one of Valid, Same, Causal"); ok = false; }
        var mode = layer.Padding == 1 ? PadMode.Same : layer.Padding == 2 ? PadMode.Causal : PadMode.Explicit;
        if (mode == PadMode.Causal && rank != 1) { Report("STR0008", layer.SpanOf("Padding"), node.Name, "Causal padding is for 1-D (C x L) data; use Same or explicit Pads for 2-D"); ok = false; }
        if (mode == PadMode.Causal && transposed) { Report("STR0008", layer.SpanOf("Padding"), node.Name, "Causal padding is not defined for a transposed convolution"); ok = false; }
        var begin = new int[rank];
        var end = new int[rank];
        if (layer.Pad != 0 || layer.Pads.Count > 0)
        {
            mode = PadMode.Explicit;
            if (layer.Pads.Count > 0 && layer.Pads.Count != 2 * rank)
            {
                Report("STR0008", layer.SpanOf("Pads"), node.Name, $"Pads has {layer.Pads.Count} values; give {2 * rank}: " + (rank == 2 ? "{ top, left, bottom, right }" : "{ begin, end }"));
                node.Failed = true;
                return;
            }
            for (int a = 0; a < rank; a++)
            {
                begin[a] = layer.Pads.Count > 0 ? layer.Pads[a] : layer.Pad;
                end[a] = layer.Pads.Count > 0 ? layer.Pads[rank + a] : layer.Pad;
                if (begin[a] < 0 || end[a] < 0) { Report("STR0008", layer.SpanOf(layer.Pads.Count > 0 ? "Pads" : "Pad"), node.Name, "padding cannot be negative; use [Crop] to remove borders"); ok = false; break; }
            }
        }
        if (transposed && layer.OutputPadding < 0) { Report("STR0008", layer.SpanOf("OutputPadding"), node.Name, "OutputPadding cannot be negative"); ok = false; }
        if (transposed && layer.OutputPadding > 0 && layer.OutputPadding >= strides.Max())
        { Report("STR0008", layer.SpanOf("OutputPadding"), node.Name, $"OutputPadding {layer.OutputPadding} must be smaller than the stride {strides.Max()} (it only picks among outputs the stride makes ambiguous)"); ok = false; }
        // Bounds keep every size computation far from int overflow and the axis analysis small.
        int largest = new[] { kernel.Max(), strides.Max(), dilations.Max(), begin.Max(), end.Max() }.Max();
        long span = kernel.Zip(dilations, (k, d) => (long)d * (k - 1) + 1).Max();
        if (ok && (largest > MaxWindowArgument || span > MaxWindowArgument))
        {
            Report("STR0008", layer.SpanOf(""), node.Name, $"its window spans {span} values with arguments up to {largest}; kernels, strides, dilations and paddings up to {MaxWindowArgument} are supported");
            ok = false;
        }
        if (!ok) { node.Failed = true; return; }

        node.Windows = new WindowAxis[rank];
        for (int a = 0; a < rank; a++)
            node.Windows[a] = new WindowAxis(kernel[a], strides[a], dilations[a], mode, begin[a], end[a], layer.CeilMode, transposed, transposed ? layer.OutputPadding : 0);
        node.KeepsSwitches = layer.KeepSwitches;

        int inChannels = input.Spatial ? input.Channels : input.Dims[0];
        node.Channels = isConv ? layer.Filters : inChannels;
        node.Label = WindowLabel(layer, kernel, strides, dilations, mode);
        if (isConv) AddWindowParameters(node, layer, inChannels, kernel);
        if (node.Failed) return;

        if (input.Spatial)
        {
            node.Spatial = true;
            node.AxisNodes = new int[rank];
            node.AxisSizes = new long[rank];
            for (int a = 0; a < rank; a++)
            {
                node.AxisNodes[a] = _graphs[a].AddWindow(input.AxisNodes[a], node.Windows[a]);
                _axisOwner[(a, node.AxisNodes[a])] = node.Index;
                long inSize = input.AxisSizes[a];
                if (inSize < 0) { node.AxisSizes[a] = -1; continue; }
                int outSize = WindowRules.OutputSize(node.Windows[a], (int)inSize);
                // The axis analysis reports the empty output with the input's valid sizes; stop shapes here.
                if (outSize < 1) node.Failed = true;
                node.AxisSizes[a] = outSize;
            }
            return;
        }

        var dims = new int[rank + 1];
        dims[0] = node.Channels;
        for (int a = 0; a < rank; a++)
        {
            int inSize = input.Dims[a + 1];
            int outSize = WindowRules.OutputSize(node.Windows[a], inSize);
            if (outSize < 1)
            {
                Report("STR0007", layer.SpanOf(""), node.Name, rank == 1 ? "L" : a == 0 ? "H" : "W", inSize, WindowRules.Formula(node.Windows[a]), "Use a smaller kernel, stride or dilation, or pad before it.");
                node.Failed = true;
                return;
            }
            dims[a + 1] = outSize;
        }
        node.Dims = dims;
    }

    private void AddWindowParameters(PlanNode node, LayerSpec layer, int inChannels, int[] kernel)
    {
        int taps = kernel.Aggregate(1, (p, k) => p * k);
        if (layer.Kind == LayerKind.Conv)
        {
            node.Weight = AddParameter(node.Name + ".weight", new[] { layer.Filters, inChannels }.Concat(kernel).ToArray(), ParameterInit.He, inChannels * taps, layer.Filters * taps);
        }
        else if (layer.TiedTo is not null)
        {
            int? tied = Lookup(node, layer, layer.TiedTo, "TiedTo", layer.SpanOf("TiedTo"));
            if (tied is null) { node.Failed = true; return; }
            var conv = _nodes[tied.Value];
            if (conv.Kind != LayerKind.Conv || conv.Weight < 0)
            {
                Report("STR0004", layer.SpanOf("TiedTo"), node.Name, conv.Name, $"'{conv.Name}' is a {conv.Rule.Name}, not a Conv with weights");
                node.Failed = true;
                return;
            }
            // The conv's [out, in, k...] read as this deconv's [in, out, k...].
            var w = _parameters[conv.Weight].Shape;
            var convKernel = w.Skip(2).ToArray();
            var problems = new List<string>();
            if (w[0] != inChannels) problems.Add($"its input has {inChannels} channels but '{conv.Name}' makes {w[0]}");
            if (w[1] != layer.Filters) problems.Add($"it makes {layer.Filters} channels but '{conv.Name}' reads {w[1]}");
            if (!convKernel.SequenceEqual(kernel)) problems.Add($"its kernel is {string.Join("x", kernel)} but '{conv.Name}' has {string.Join("x", convKernel)}");
            if (problems.Count > 0)
            {
                Report("STR0004", layer.SpanOf("TiedTo"), node.Name, conv.Name,
                    string.Join("; ", problems) + $". A tied Deconv must undo the Conv: Deconv({w[1]}, {string.Join(", ", convKernel)}) reading {w[0]} channels");
                node.Failed = true;
                return;
            }
            node.Weight = conv.Weight;
        }
        else
        {
            node.Weight = AddParameter(node.Name + ".weight", new[] { inChannels, layer.Filters }.Concat(kernel).ToArray(), ParameterInit.He, inChannels * taps, layer.Filters * taps);
        }
        if (layer.Bias) node.Bias = AddParameter(node.Name + ".bias", new[] { layer.Filters }, ParameterInit.Zeros, 0, 0);
    }

    private static string WindowLabel(LayerSpec layer, int[] kernel, int[] strides, int[] dilations, PadMode mode)
    {
        var text = new System.Text.StringBuilder(layer.Rule.Name);
        if (layer.Kind is LayerKind.Conv or LayerKind.Deconv) text.Append(' ').Append(layer.Filters);
        text.Append(' ').Append(string.Join("x", kernel));
        if (strides.Any(s => s != 1)) text.Append(" /").Append(string.Join("x", strides.Distinct()));
        if (dilations.Any(d => d != 1)) text.Append(" d").Append(string.Join("x", dilations.Distinct()));
        if (mode == PadMode.Same) text.Append(" same");
        else if (mode == PadMode.Causal) text.Append(" causal");
        else if (layer.Pad != 0 || layer.Pads.Count > 0) text.Append(" pad ").Append(layer.Pads.Count > 0 ? string.Join(",", layer.Pads) : layer.Pad.ToString(Inv));
        if (layer.CeilMode) text.Append(" ceil");
        if (layer.TiedTo is not null) text.Append(" tied ").Append(layer.TiedTo);
        return text.ToString();
    }

    private static string Describe(PlanNode node)
    {
        if (!node.Spatial) return ShapeText(node.Dims);
        return node.Channels.ToString(Inv) + "x" + string.Join("x", node.AxisSizes.Select(s => s < 0 ? "Any" : s.ToString(Inv)));
    }

    internal void PlanUnpool(PlanNode node, LayerSpec layer)
    {
        var input = InputOf(node);
        if (layer.Switches is null)
        {
            Report("STR0016", layer.SpanOf(""), node.Name, "?", "name the MaxPool whose switches it uses: [MaxUnpool(Switches = \"pool1\")]");
            node.Failed = true;
            return;
        }
        int? found = Lookup(node, layer, layer.Switches, "Switches", layer.SpanOf("Switches"));
        if (found is null) { node.Failed = true; return; }
        var pool = _nodes[found.Value];
        if (pool.Failed) { node.Failed = true; return; }
        if (pool.Kind != LayerKind.MaxPool)
        {
            Report("STR0016", layer.SpanOf("Switches"), node.Name, pool.Name, $"'{pool.Name}' is a {pool.Rule.Name}; switches come from a MaxPool");
            node.Failed = true;
            return;
        }
        if (!pool.KeepsSwitches)
        {
            Report("STR0016", layer.SpanOf("Switches"), node.Name, pool.Name, $"'{pool.Name}' does not keep its switches; declare it with KeepSwitches = true");
            node.Failed = true;
            return;
        }
        var poolInput = InputOf(pool);
        int channels = input.Spatial ? input.Channels : input.Dims[0];
        if (channels != pool.Channels)
        {
            Report("STR0016", layer.SpanOf(""), node.Name, pool.Name, $"its input has {channels} channels but '{pool.Name}' produced {pool.Channels}");
            node.Failed = true;
            return;
        }
        if (input.Spatial != pool.Spatial || !pool.Spatial)
        {
            if (!ConcreteDims(input)!.SequenceEqual(ConcreteDims(pool)!))
            {
                Report("STR0016", layer.SpanOf(""), node.Name, pool.Name, $"its input is {Describe(input)} but '{pool.Name}' produced {Describe(pool)}");
                node.Failed = true;
                return;
            }
            CopyLayout(node, poolInput);
        }
        else
        {
            CopyLayout(node, poolInput);
            for (int a = 0; a < node.AxisNodes.Length; a++)
            {
                int check = _graphs[a].AddMerge(new[] { input.AxisNodes[a], pool.AxisNodes[a] });
                _axisOwner[(a, check)] = node.Index;
                node.AxisNodes[a] = _graphs[a].AddSizeOf(check, poolInput.AxisNodes[a]);
                _axisOwner[(a, node.AxisNodes[a])] = node.Index;
            }
        }
        node.SwitchesOf = pool.Index;
        node.Label = "MaxUnpool " + pool.Name;
    }

    internal void PlanDense(PlanNode node, LayerSpec layer)
    {
        var input = InputOf(node);
        if (layer.Units < 1) { Report("STR0008", layer.SpanOf("0"), node.Name, $"the unit count is {layer.Units}; it must be at least 1"); node.Failed = true; return; }
        var dims = RequireFixed(node, input);
        if (dims is null) return;
        int features = dims[dims.Length - 1];
        if (dims.Length > 1)
        {
            long rows = Product(dims.Take(dims.Length - 1));
            Report("STR0009", layer.SpanOf(""), node.Name, ShapeText(dims), $"{rows} rows of {features} features each");
        }
        var outDims = (int[])dims.Clone();
        outDims[outDims.Length - 1] = layer.Units;
        node.Dims = outDims;
        node.Spatial = false;
        node.Weight = AddParameter(node.Name + ".weight", new[] { layer.Units, features }, ParameterInit.Glorot, features, layer.Units);
        if (layer.Bias) node.Bias = AddParameter(node.Name + ".bias", new[] { layer.Units }, ParameterInit.Zeros, 0, 0);
        node.Label = "Dense " + layer.Units.ToString(Inv);
    }

    internal void PlanFlatten(PlanNode node)
    {
        var dims = RequireFixed(node, InputOf(node));
        if (dims is null) return;
        long size = Product(dims);
        // CheckVolume bounds every earlier output; this guards the cast should an input ever escape it.
        if (size > MaxValues)
        {
            Report("STR0008", node.Layer!.SpanOf(""), node.Name, $"it flattens {VolumeText(dims)} values into one axis; a tensor holds at most {MaxValues} (32-bit indexing)");
            node.Failed = true;
            return;
        }
        node.Dims = new[] { (int)size };
        node.Label = "Flatten";
    }

    internal void PlanReshape(PlanNode node, LayerSpec layer)
    {
        var dims = RequireFixed(node, InputOf(node));
        if (dims is null) return;
        long size = Product(dims);
        var target = layer.Ints.ToArray();
        int inferred = System.Array.IndexOf(target, -1);
        if (target.Length == 0 || target.Count(d => d == -1) > 1 || target.Any(d => d == 0 || d < -1))
        {
            Report("STR0008", layer.SpanOf(""), node.Name, $"Reshape({string.Join(", ", target)}) needs positive sizes, with at most one -1 to infer");
            node.Failed = true;
            return;
        }
        if (inferred >= 0)
        {
            long known = Product(target.Where(d => d != -1));
            if (size % known != 0)
            {
                Report("STR0008", layer.SpanOf(""), node.Name, $"{ShapeText(dims)} has {size} values, not a multiple of {known}, so -1 cannot be inferred");
                node.Failed = true;
                return;
            }
            target[inferred] = (int)(size / known);
        }
        if (Product(target) != size)
        {
            Report("STR0008", layer.SpanOf(""), node.Name, $"Reshape to {ShapeText(target)} needs {Product(target)} values but its input {ShapeText(dims)} has {size}");
            node.Failed = true;
            return;
        }
        // Same sizes in another order: almost always an axis swap written as a reshape.
        if (target.Length == dims.Length && target.Length > 1 && !target.SequenceEqual(dims) && target.OrderBy(d => d).SequenceEqual(dims.OrderBy(d => d)))
        {
            var perm = new int[target.Length];
            var used = new bool[dims.Length];
            for (int i = 0; i < target.Length; i++)
                for (int j = 0; j < dims.Length; j++)
                    if (!used[j] && dims[j] == target[i]) { perm[i] = j; used[j] = true; break; }
            Report("STR0010", layer.SpanOf(""), node.Name, ShapeText(dims), ShapeText(target), string.Join(", ", perm));
        }
        node.Dims = target;
        node.Label = "Reshape " + ShapeText(target);
    }

    internal void PlanPermute(PlanNode node, LayerSpec layer)
    {
        var dims = RequireFixed(node, InputOf(node));
        if (dims is null) return;
        var axes = layer.Ints.ToArray();
        if (axes.Length != dims.Length || !axes.OrderBy(a => a).SequenceEqual(Enumerable.Range(0, dims.Length)))
        {
            Report("STR0008", layer.SpanOf(""), node.Name, $"Permute({string.Join(", ", axes)}) must list each of the {dims.Length} non-batch axes 0..{dims.Length - 1} once (input {ShapeText(dims)})");
            node.Failed = true;
            return;
        }
        if (dims.Length > 4) { Report("STR0018", layer.SpanOf(""), node.Name, "Permute supports up to 4 non-batch axes"); node.Failed = true; return; }
        node.Axes = axes;
        node.Dims = axes.Select(a => dims[a]).ToArray();
        node.Label = "Permute " + string.Join(",", axes);
    }

    internal void PlanPadCrop(PlanNode node, LayerSpec layer)
    {
        var input = InputOf(node);
        int rank = SpatialRankOf(input);
        var amounts = layer.Ints.ToArray();
        var begin = new int[System.Math.Max(rank, 0)];
        var end = new int[System.Math.Max(rank, 0)];
        if (rank < 1 || rank > 2)
        {
            Report("STR0018", layer.SpanOf(""), node.Name, $"{layer.Rule.Name} works on the spatial axes of C x L or C x H x W data; its input is {Describe(input)}");
            node.Failed = true;
            return;
        }
        if (amounts.Length == 1) { for (int a = 0; a < rank; a++) begin[a] = end[a] = amounts[0]; }
        else if (amounts.Length == rank && rank == 2) { for (int a = 0; a < rank; a++) begin[a] = end[a] = amounts[a]; }
        else if (amounts.Length == 2 * rank) { for (int a = 0; a < rank; a++) { begin[a] = amounts[a]; end[a] = amounts[rank + a]; } }
        else
        {
            Report("STR0008", layer.SpanOf(""), node.Name, $"{layer.Rule.Name} takes one amount, " + (rank == 2 ? "two (per axis) or four { top, left, bottom, right }" : "or two { begin, end }") + $"; got {amounts.Length}");
            node.Failed = true;
            return;
        }
        if (begin.Concat(end).Any(v => v < 0))
        {
            Report("STR0008", layer.SpanOf(""), node.Name, $"{layer.Rule.Name} amounts cannot be negative");
            node.Failed = true;
            return;
        }
        if (begin.Concat(end).Any(v => v > MaxWindowArgument))
        {
            Report("STR0008", layer.SpanOf(""), node.Name, $"{layer.Rule.Name} amounts up to {MaxWindowArgument} are supported; got {begin.Concat(end).Max()}");
            node.Failed = true;
            return;
        }
        int sign = layer.Kind == LayerKind.Crop ? -1 : 1;
        node.PadBegin = begin.Select(v => sign * v).ToArray();
        node.PadEnd = end.Select(v => sign * v).ToArray();
        node.Label = layer.Rule.Name + " " + string.Join(",", amounts);
        CopyLayout(node, input);
        if (input.Spatial)
        {
            for (int a = 0; a < rank; a++)
            {
                node.AxisNodes[a] = _graphs[a].AddPad(input.AxisNodes[a], node.PadBegin[a], node.PadEnd[a]);
                _axisOwner[(a, node.AxisNodes[a])] = node.Index;
                if (input.AxisSizes[a] >= 0)
                {
                    node.AxisSizes[a] = input.AxisSizes[a] + node.PadBegin[a] + node.PadEnd[a];
                    if (node.AxisSizes[a] < 1) node.Failed = true;
                }
            }
            return;
        }
        for (int a = 0; a < rank; a++)
        {
            node.Dims[a + 1] = input.Dims[a + 1] + node.PadBegin[a] + node.PadEnd[a];
            if (node.Dims[a + 1] < 1)
            {
                Report("STR0007", layer.SpanOf(""), node.Name, rank == 1 ? "L" : a == 0 ? "H" : "W", input.Dims[a + 1], $"crop {-node.PadBegin[a]} + {-node.PadEnd[a]}", "Crop less.");
                node.Failed = true;
                return;
            }
        }
    }

    internal void PlanMerge(PlanNode node, LayerSpec layer)
    {
        var inputs = node.Inputs.Select(i => _nodes[i]).ToList();
        var first = inputs[0];
        if (inputs.Any(i => i.Spatial != first.Spatial))
        {
            Report("STR0018", layer.SpanOf(""), node.Name, "its inputs mix spatial (C x H x W) and flattened data: " + string.Join(", ", inputs.Select(i => $"'{i.Name}' {Describe(i)}")));
            node.Failed = true;
            return;
        }
        int Channels(PlanNode n) => n.Spatial ? n.Channels : n.Dims[0];
        if (layer.Kind == LayerKind.Add && inputs.Any(i => Channels(i) != Channels(first)))
        {
            Report("STR0003", layer.SpanOf(""), node.Name, "Add needs equal channel counts, but " + string.Join(", ", inputs.Select(i => $"'{i.Name}' has {Channels(i)}")) +
                ". Make the branches produce the same number of filters, or use a 1x1 Conv to match them");
            node.Failed = true;
            return;
        }
        CopyLayout(node, first);
        long total = layer.Kind == LayerKind.Add ? Channels(first) : inputs.Sum(i => (long)Channels(i));
        if (total > MaxValues)
        {
            Report("STR0008", layer.SpanOf(""), node.Name, $"it concatenates {total} channels ({string.Join(" + ", inputs.Select(Channels))}); a tensor holds at most {MaxValues} values (32-bit indexing)");
            node.Failed = true;
            return;
        }
        int channels = (int)total;
        node.Label = layer.Rule.Name + " " + string.Join(", ", inputs.Select(i => i.Name));
        if (!first.Spatial)
        {
            if (inputs.Any(i => i.Dims.Length != first.Dims.Length || !i.Dims.Skip(1).SequenceEqual(first.Dims.Skip(1))))
            {
                Report("STR0003", layer.SpanOf(""), node.Name, $"{layer.Rule.Name} needs equal sizes besides channels, but " + string.Join(", ", inputs.Select(i => $"'{i.Name}' is {ShapeText(i.Dims)}")));
                node.Failed = true;
                return;
            }
            node.Dims[0] = channels;
            return;
        }
        node.Channels = channels;
        for (int a = 0; a < node.AxisNodes.Length; a++)
        {
            node.AxisNodes[a] = _graphs[a].AddMerge(inputs.Select(i => i.AxisNodes[a]).ToList());
            _axisOwner[(a, node.AxisNodes[a])] = node.Index;
        }
    }

    /// <summary>The output has the input's layout: elementwise layers (activations, BatchNorm, Dropout).</summary>
    internal void PlanElementwise(PlanNode node)
    {
        CopyLayout(node, InputOf(node));
        node.Label = node.Rule.Name;
    }

    /// <summary>The channel count of a node's output, spatial or generic.</summary>
    internal int ChannelsOf(PlanNode node) => node.Spatial ? node.Channels : node.Dims[0];
}
