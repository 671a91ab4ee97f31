using System;
using System.Collections.Generic;
using System.Linq;

namespace Strider.Onnx;

public sealed partial class OnnxGraphBuilder
{
    // Window arguments (strides, pads, dilations) are per spatial axis, H then W (one entry for 1-D layers); null means
    // all ones (strides, dilations) or all zeros (pads). Pads arrive resolved: Same and Causal are explicit numbers here.

    /// <summary>
    /// Conv: weight [out, in / group, k...] (the kernel is read from its shape), optional bias [out]; <paramref name="group"/>
    /// is ONNX's (and PyTorch's) channel groups, 1 for an ordinary convolution.
    /// </summary>
    public string Conv(string x, string name, OnnxTensor weight, OnnxTensor? bias,
        int[]? strides = null, int[]? padsBegin = null, int[]? padsEnd = null, int[]? dilations = null, int group = 1)
    {
        ArgumentNullException.ThrowIfNull(weight);
        int[] kernel = KernelOf(weight, name, "Conv", "[out, in / group, kh, kw]");
        CheckBias(bias, weight.Shape[0], name, "Conv", "out");
        CheckGroup(group, weight.Shape[0], name, "Conv", "output channels (weight dim 0)");
        return AddConvNode("Conv", x, name, weight, bias, kernel, strides, padsBegin, padsEnd, dilations, outputPadding: null, group);
    }

    /// <summary>
    /// ConvTranspose: weight [in, out / group, k...] (PyTorch's layout, also a tied Conv's weight as is), optional bias
    /// [out]; output = stride (in - 1) + outputPadding + d (k - 1) + 1 - padBegin - padEnd. <paramref name="group"/> is
    /// ONNX's (and PyTorch's) channel groups.
    /// </summary>
    public string ConvTranspose(string x, string name, OnnxTensor weight, OnnxTensor? bias,
        int[]? strides = null, int[]? padsBegin = null, int[]? padsEnd = null, int[]? dilations = null, int[]? outputPadding = null, int group = 1)
    {
        ArgumentNullException.ThrowIfNull(weight);
        int[] kernel = KernelOf(weight, name, "ConvTranspose", "[in, out / group, kh, kw]");
        CheckGroup(group, weight.Shape[0], name, "ConvTranspose", "input channels (weight dim 0)");
        CheckBias(bias, weight.Shape[1] * group, name, "ConvTranspose", "out");
        return AddConvNode("ConvTranspose", x, name, weight, bias, kernel, strides, padsBegin, padsEnd, dilations,
            outputPadding ?? new int[kernel.Length], group);
    }

    /// <summary>MaxPool; padded and ceil-mode positions never win (ONNX pads with -inf, as Strider skips them).</summary>
    public string MaxPool(string x, string name, int[] kernel,
        int[]? strides = null, int[]? padsBegin = null, int[]? padsEnd = null, int[]? dilations = null, bool ceilMode = false) =>
        AddMaxPool(x, name, kernel, strides, padsBegin, padsEnd, dilations, ceilMode, withIndices: false).Output;

    /// <summary>
    /// MaxPool that also outputs its switches (<c>Indices</c>, int64, flat over the whole input tensor) for a later
    /// <see cref="MaxUnpool"/>. The indices value is named <c>{name}_indices</c>.
    /// </summary>
    public (string Output, string Indices) MaxPoolWithIndices(string x, string name, int[] kernel,
        int[]? strides = null, int[]? padsBegin = null, int[]? padsEnd = null, int[]? dilations = null, bool ceilMode = false) =>
        AddMaxPool(x, name, kernel, strides, padsBegin, padsEnd, dilations, ceilMode, withIndices: true);

    /// <summary>
    /// MaxUnpool of <paramref name="x"/> at <paramref name="indices"/> (from <see cref="MaxPoolWithIndices"/>), with the
    /// output shaped like <paramref name="poolInput"/> (the pool's input, read at run time, so free sizes and ceil mode
    /// round-trip). Pass the pool's own window arguments. ONNX scatters: where two windows share an argmax, one value
    /// lands there, where Strider sums them; non-overlapping pools (stride = kernel) agree exactly.
    /// </summary>
    public string MaxUnpool(string x, string name, string indices, string poolInput, int[] kernel,
        int[]? strides = null, int[]? padsBegin = null, int[]? padsEnd = null)
    {
        string input = Resolve(x), idx = Resolve(indices), source = Resolve(poolInput);
        var w = Window(name, "MaxUnpool", kernel, strides, padsBegin, padsEnd, dilations: null);
        string shape = Fresh(name + "/output_shape");
        AddNode("Shape", name + "/output_shape", new[] { source }, new[] { shape });
        string y = Fresh(name);
        var node = AddNode("MaxUnpool", name, new[] { input, idx, shape }, new[] { y });
        node.Attribute.Add(Ints("kernel_shape", kernel));
        node.Attribute.Add(Ints("strides", w.Strides));
        // With output_shape given, pads only feed ONNX Runtime's lower bound (in-1)s + k - pads on the output size; a
        // ceil-mode pool's last window can overhang its input by up to k-1, so widening the end pads keeps that bound at
        // or below the pool input's size. Placement comes from the indices alone.
        int n = kernel.Length;
        node.Attribute.Add(Ints("pads", w.Pads.Select((p, i) => i < n ? p : p + kernel[i - n] - 1)));
        return y;
    }

    /// <summary>AveragePool over in-bounds positions only (count_include_pad = 0), as Strider averages.</summary>
    public string AveragePool(string x, string name, int[] kernel,
        int[]? strides = null, int[]? padsBegin = null, int[]? padsEnd = null, int[]? dilations = null, bool ceilMode = false)
    {
        string input = Resolve(x);
        var w = Window(name, "AveragePool", kernel, strides, padsBegin, padsEnd, dilations);
        bool dilated = w.Dilations.Any(d => d != 1);
        if (dilated && Opset < 19)
            throw new NotSupportedException(
                $"AveragePool '{name}' has dilations [{string.Join(", ", w.Dilations)}]; ONNX AveragePool takes dilations from opset 19, and this export targets opset {Opset}.");
        string y = Fresh(name);
        var node = AddNode("AveragePool", name, new[] { input }, new[] { y });
        node.Attribute.Add(Ints("kernel_shape", kernel));
        node.Attribute.Add(Ints("strides", w.Strides));
        node.Attribute.Add(Ints("pads", w.Pads));
        if (dilated) node.Attribute.Add(Ints("dilations", w.Dilations));
        node.Attribute.Add(Int("ceil_mode", ceilMode ? 1 : 0));
        node.Attribute.Add(Int("count_include_pad", 0));
        return y;
    }

    /// <summary>BatchNormalization in inference mode: (x - mean) / sqrt(var + epsilon) * scale + bias, per channel (axis 1).</summary>
    public string BatchNormalization(string x, string name, OnnxTensor scale, OnnxTensor bias, OnnxTensor runningMean, OnnxTensor runningVar, double epsilon = 1e-5)
    {
        string input = Resolve(x);
        OnnxTensor[] tensors = { scale, bias, runningMean, runningVar };
        foreach (var t in tensors)
        {
            ArgumentNullException.ThrowIfNull(t);
            if (t.Shape.Length != 1 || t.Shape[0] != scale.Shape[0])
                throw new ArgumentException(
                    $"BatchNormalization '{name}': '{t.Name}' must have shape [{scale.Shape[0]}] (one value per channel, like '{scale.Name}'); got [{string.Join(", ", t.Shape)}].");
        }
        string[] inputs = { input, AddInitializer(scale), AddInitializer(bias), AddInitializer(runningMean), AddInitializer(runningVar) };
        string y = Fresh(name);
        AddNode("BatchNormalization", name, inputs, new[] { y }).Attribute.Add(Float("epsilon", (float)epsilon));
        return y;
    }

    public string Relu(string x, string name) => Unary("Relu", x, name);

    /// <summary>x for x &gt; 0, alpha (e^x - 1) otherwise.</summary>
    public string Elu(string x, string name, double alpha = 1.0)
    {
        string y = Unary("Elu", x, name);
        _graph.Node[^1].Attribute.Add(Float("alpha", (float)alpha));
        return y;
    }

    /// <summary>x for x &gt; 0, alpha · x otherwise.</summary>
    public string LeakyRelu(string x, string name, double alpha = 0.01)
    {
        string y = Unary("LeakyRelu", x, name);
        _graph.Node[^1].Attribute.Add(Float("alpha", (float)alpha));
        return y;
    }

    public string Sigmoid(string x, string name) => Unary("Sigmoid", x, name);

    public string Tanh(string x, string name) => Unary("Tanh", x, name);

    /// <summary>x / (1 + |x|).</summary>
    public string Softsign(string x, string name) => Unary("Softsign", x, name);

    public string Log(string x, string name) => Unary("Log", x, name);

    public string Exp(string x, string name) => Unary("Exp", x, name);

    /// <summary>Softmax over <paramref name="axis"/> (channels by default) at every position.</summary>
    public string Softmax(string x, string name, int axis = 1) => AxisOp("Softmax", x, name, axis);

    public string LogSoftmax(string x, string name, int axis = 1) => AxisOp("LogSoftmax", x, name, axis);

    /// <summary>Clamps to [min, max]; the bounds are scalar initializers <c>{name}/min</c> and <c>{name}/max</c>.</summary>
    public string Clip(string x, string name, double min, double max)
    {
        if (!(min <= max)) throw new ArgumentException($"Clip '{name}' needs min <= max; got min {min} and max {max}.");
        string input = Resolve(x);
        string lo = AddFloatScalar(name + "/min", (float)min), hi = AddFloatScalar(name + "/max", (float)max);
        string y = Fresh(name);
        AddNode("Clip", name, new[] { input, lo, hi }, new[] { y });
        return y;
    }

    /// <summary>Elementwise sum of two or more values of equal shape (Add for two, Sum for more).</summary>
    public string Add(string[] inputs, string name)
    {
        string[] resolved = ResolveAll(inputs, name, "Add");
        string y = Fresh(name);
        AddNode(resolved.Length == 2 ? "Add" : "Sum", name, resolved, new[] { y });
        return y;
    }

    /// <summary>Elementwise product a·b (ONNX Mul, which broadcasts a [n, C, 1, 1] operand over [n, C, H, W]).</summary>
    public string Mul(string a, string b, string name)
    {
        string[] resolved = ResolveAll(new[] { a, b }, name, "Mul");
        string y = Fresh(name);
        AddNode("Mul", name, resolved, new[] { y });
        return y;
    }

    /// <summary>Concatenation along <paramref name="axis"/> (channels by default).</summary>
    public string Concat(string[] inputs, string name, int axis = 1)
    {
        string[] resolved = ResolveAll(inputs, name, "Concat");
        string y = Fresh(name);
        AddNode("Concat", name, resolved, new[] { y }).Attribute.Add(Int("axis", axis));
        return y;
    }

    /// <summary>Zero padding of the spatial axes (batch and channel axes unpadded); the pads become initializer <c>{name}/pads</c>.</summary>
    public string Pad(string x, string name, int[] padsBegin, int[] padsEnd)
    {
        string input = Resolve(x);
        CheckSpatial(name, "Pad", padsBegin, padsEnd, allowNegative: false);
        int rank = padsBegin.Length + 2;
        var pads = new long[2 * rank];
        for (int i = 0; i < padsBegin.Length; i++)
        {
            pads[2 + i] = padsBegin[i];
            pads[rank + 2 + i] = padsEnd[i];
        }
        string padsName = AddInt64Constant(name + "/pads", pads);
        string y = Fresh(name);
        AddNode("Pad", name, new[] { input, padsName }, new[] { y }).Attribute.Add(new global::Onnx.AttributeProto
        {
            Name = "mode", Type = global::Onnx.AttributeProto.Types.AttributeType.String, S = Google.Protobuf.ByteString.CopyFromUtf8("constant"),
        });
        return y;
    }

    /// <summary>
    /// Removes <paramref name="cropBegin"/>/<paramref name="cropEnd"/> positions from each spatial axis, as a Slice
    /// whose ends count from the end of the axis (so free sizes work); bounds are initializers <c>{name}/starts|ends|axes</c>.
    /// </summary>
    public string Crop(string x, string name, int[] cropBegin, int[] cropEnd)
    {
        string input = Resolve(x);
        CheckSpatial(name, "Crop", cropBegin, cropEnd, allowNegative: false);
        int n = cropBegin.Length;
        var starts = new long[n];
        var ends = new long[n];
        var axes = new long[n];
        for (int i = 0; i < n; i++)
        {
            starts[i] = cropBegin[i];
            ends[i] = cropEnd[i] == 0 ? long.MaxValue : -cropEnd[i];
            axes[i] = 2 + i;
        }
        string[] inputs = { input, AddInt64Constant(name + "/starts", starts), AddInt64Constant(name + "/ends", ends), AddInt64Constant(name + "/axes", axes) };
        string y = Fresh(name);
        AddNode("Slice", name, inputs, new[] { y });
        return y;
    }

    /// <summary>
    /// Reshape to [batch, <paramref name="dims"/>...] (non-batch dims; one may be -1, inferred). The batch is copied
    /// from the input; the target shape is initializer <c>{name}/shape</c>.
    /// </summary>
    public string Reshape(string x, string name, int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        string input = Resolve(x);
        if (dims.Length == 0 || dims.Any(d => d == 0 || d < -1) || dims.Count(d => d == -1) > 1)
            throw new ArgumentException($"Reshape '{name}' needs non-batch dims that are positive, with at most one -1; got [{string.Join(", ", dims)}].", nameof(dims));
        var shape = new long[dims.Length + 1];
        for (int i = 0; i < dims.Length; i++) shape[i + 1] = dims[i];
        // 0 copies the input's batch size (allowzero = 0).
        string shapeName = AddInt64Constant(name + "/shape", shape);
        string y = Fresh(name);
        AddNode("Reshape", name, new[] { input, shapeName }, new[] { y });
        return y;
    }

    /// <summary>Permutes the non-batch axes: <paramref name="axes"/> as in Strider's Permute (0 = the first non-batch axis); the ONNX perm keeps the batch first.</summary>
    public string Transpose(string x, string name, int[] axes)
    {
        ArgumentNullException.ThrowIfNull(axes);
        string input = Resolve(x);
        if (axes.Length == 0 || axes.OrderBy(a => a).Where((a, i) => a != i).Any())
            throw new ArgumentException($"Transpose '{name}' needs a permutation of 0..{axes.Length - 1} (non-batch axes); got [{string.Join(", ", axes)}].", nameof(axes));
        string y = Fresh(name);
        AddNode("Transpose", name, new[] { input }, new[] { y }).Attribute.Add(Ints("perm", new[] { 0 }.Concat(axes.Select(a => a + 1))));
        return y;
    }

    /// <summary>Flattens every non-batch axis into one: [N, C, H, W] -> [N, C·H·W], row-major as PyTorch.</summary>
    public string Flatten(string x, string name)
    {
        string y = Unary("Flatten", x, name);
        _graph.Node[^1].Attribute.Add(Int("axis", 1));
        return y;
    }

    /// <summary>
    /// Dense on the last axis: y = x Wᵀ + b for weight [out, in] (PyTorch's layout, kept as the initializer) and optional
    /// bias [out]. Written as Transpose(weight) → MatMul → Add, which works for any input rank (ONNX Runtime folds the
    /// transpose of the constant at load).
    /// </summary>
    public string Dense(string x, string name, OnnxTensor weight, OnnxTensor? bias)
    {
        ArgumentNullException.ThrowIfNull(weight);
        string input = Resolve(x);
        if (weight.Shape.Length != 2)
            throw new ArgumentException($"Dense '{name}': weight '{weight.Name}' must be [out, in]; got [{string.Join(", ", weight.Shape)}].", nameof(weight));
        CheckBias(bias, weight.Shape[0], name, "Dense", "out");
        string w = AddInitializer(weight);
        string wT = Fresh(name + "/weight_t");
        AddNode("Transpose", name + "/weight_t", new[] { w }, new[] { wT }).Attribute.Add(Ints("perm", new[] { 1, 0 }));
        if (bias is null)
        {
            string y0 = Fresh(name);
            AddNode("MatMul", name, new[] { input, wT }, new[] { y0 });
            return y0;
        }
        string product = Fresh(name + "/matmul");
        AddNode("MatMul", name + "/matmul", new[] { input, wT }, new[] { product });
        string b = AddInitializer(bias);
        string y = Fresh(name);
        AddNode("Add", name, new[] { product, b }, new[] { y });
        return y;
    }

    /// <summary>Dropout at inference is the identity; an Identity node keeps the layer visible in the graph.</summary>
    public string Dropout(string x, string name) => Unary("Identity", x, name);

    /// <summary>The mean of each channel over every spatial position (to N x C x 1 x 1).</summary>
    public string GlobalAveragePool(string x, string name) => Unary("GlobalAveragePool", x, name);

    /// <summary>The maximum of each channel over every spatial position (to N x C x 1 x 1).</summary>
    public string GlobalMaxPool(string x, string name) => Unary("GlobalMaxPool", x, name);

    /// <summary>
    /// Resize by whole <paramref name="scales"/> per spatial axis. Nearest copies the input at floor(o / scale)
    /// (coordinate_transformation_mode asymmetric, nearest_mode floor); linear is PyTorch's bilinear/linear
    /// (pytorch_half_pixel, or align_corners).
    /// </summary>
    public string Resize(string x, string name, int[] scales, bool linear, bool alignCorners = false)
    {
        ArgumentNullException.ThrowIfNull(scales);
        if (scales.Length == 0 || scales.Any(s => s < 1))
            throw new ArgumentException($"Resize '{name}' needs one scale of at least 1 per spatial axis; got [{string.Join(", ", scales)}].", nameof(scales));
        string input = Resolve(x);
        var factors = new float[scales.Length + 2];
        factors[0] = factors[1] = 1f;
        for (int i = 0; i < scales.Length; i++) factors[i + 2] = scales[i];
        string scalesName = Fresh(name + "/scales");
        var scalesProto = new global::Onnx.TensorProto { Name = scalesName, DataType = (int)global::Onnx.TensorProto.Types.DataType.Float };
        scalesProto.Dims.Add(factors.Length);
        scalesProto.FloatData.AddRange(factors);
        _graph.Initializer.Add(scalesProto);
        _initializerShapes.Add(scalesName, new[] { factors.Length });
        string y = Fresh(name);
        // roi is unused by these coordinate modes: the empty name leaves that optional input out.
        var node = AddNode("Resize", name, new[] { input, "", scalesName }, new[] { y });
        node.Attribute.Add(Text("mode", linear ? "linear" : "nearest"));
        node.Attribute.Add(Text("coordinate_transformation_mode", linear ? (alignCorners ? "align_corners" : "pytorch_half_pixel") : "asymmetric"));
        if (!linear) node.Attribute.Add(Text("nearest_mode", "floor"));
        return y;
    }

    /// <summary>PyTorch's pixel_shuffle: DepthToSpace in CRD order (channel c·r² + i·r + j goes to row offset i, column offset j).</summary>
    public string DepthToSpace(string x, string name, int blockSize)
    {
        if (blockSize < 1) throw new ArgumentOutOfRangeException(nameof(blockSize), $"DepthToSpace '{name}' needs a block size of at least 1; got {blockSize}.");
        string y = Unary("DepthToSpace", x, name);
        _graph.Node[^1].Attribute.Add(Int("blocksize", blockSize));
        _graph.Node[^1].Attribute.Add(Text("mode", "CRD"));
        return y;
    }

    /// <summary>Zero channels before and after (a Pad on axis 1 of a rank-<paramref name="rank"/> tensor, batch included).</summary>
    public string PadChannels(string x, string name, int rank, int before, int after)
    {
        if (rank < 2 || before < 0 || after < 0)
            throw new ArgumentException($"PadChannels '{name}' needs rank >= 2 and non-negative amounts; got rank {rank}, {before} before, {after} after.");
        string input = Resolve(x);
        var pads = new long[2 * rank];
        pads[1] = before;
        pads[rank + 1] = after;
        string padsName = AddInt64Constant(name + "/pads", pads);
        string y = Fresh(name);
        AddNode("Pad", name, new[] { input, padsName }, new[] { y }).Attribute.Add(Text("mode", "constant"));
        return y;
    }

    /// <summary>Channels start..start + count - 1 (a Slice on axis 1).</summary>
    public string SliceChannels(string x, string name, int start, int count)
    {
        if (start < 0 || count < 1)
            throw new ArgumentException($"SliceChannels '{name}' needs start >= 0 and count >= 1; got {start} and {count}.");
        string input = Resolve(x);
        string[] inputs =
        {
            input, AddInt64Constant(name + "/starts", new long[] { start }), AddInt64Constant(name + "/ends", new long[] { (long)start + count }),
            AddInt64Constant(name + "/axes", new long[] { 1 }),
        };
        string y = Fresh(name);
        AddNode("Slice", name, inputs, new[] { y });
        return y;
    }

    /// <summary>Output channel k is input channel <paramref name="order"/>[k] (a Gather on axis 1).</summary>
    public string GatherChannels(string x, string name, int[] order)
    {
        ArgumentNullException.ThrowIfNull(order);
        if (order.Length == 0 || order.Any(c => c < 0))
            throw new ArgumentException($"GatherChannels '{name}' needs a non-empty list of channel indices >= 0.", nameof(order));
        string input = Resolve(x);
        string indices = AddInt64Constant(name + "/indices", order.Select(c => (long)c).ToArray());
        string y = Fresh(name);
        AddNode("Gather", name, new[] { input, indices }, new[] { y }).Attribute.Add(Int("axis", 1));
        return y;
    }

    private static global::Onnx.AttributeProto Text(string name, string value) =>
        new() { Name = name, Type = global::Onnx.AttributeProto.Types.AttributeType.String, S = Google.Protobuf.ByteString.CopyFromUtf8(value) };

    // ---- shared pieces ----

    private readonly record struct WindowAttributes(int[] Strides, int[] Pads, int[] Dilations);

    private string AddConvNode(string opType, string x, string name, OnnxTensor weight, OnnxTensor? bias, int[] kernel,
        int[]? strides, int[]? padsBegin, int[]? padsEnd, int[]? dilations, int[]? outputPadding, int group)
    {
        string input = Resolve(x);
        var w = Window(name, opType, kernel, strides, padsBegin, padsEnd, dilations);
        var inputs = new List<string> { input, AddInitializer(weight) };
        if (bias is not null) inputs.Add(AddInitializer(bias));
        string y = Fresh(name);
        var node = AddNode(opType, name, inputs.ToArray(), new[] { y });
        node.Attribute.Add(Ints("kernel_shape", kernel));
        node.Attribute.Add(Ints("strides", w.Strides));
        node.Attribute.Add(Ints("pads", w.Pads));
        node.Attribute.Add(Ints("dilations", w.Dilations));
        if (outputPadding is not null)
        {
            if (outputPadding.Length != kernel.Length || outputPadding.Any(p => p < 0))
                throw new ArgumentException($"{opType} '{name}' needs {kernel.Length} non-negative output paddings (one per spatial axis); got [{string.Join(", ", outputPadding)}].", nameof(outputPadding));
            node.Attribute.Add(Ints("output_padding", outputPadding));
        }
        if (group != 1) node.Attribute.Add(Int("group", group));
        return y;
    }

    private (string Output, string Indices) AddMaxPool(string x, string name, int[] kernel,
        int[]? strides, int[]? padsBegin, int[]? padsEnd, int[]? dilations, bool ceilMode, bool withIndices)
    {
        string input = Resolve(x);
        var w = Window(name, "MaxPool", kernel, strides, padsBegin, padsEnd, dilations);
        string y = Fresh(name);
        string indices = withIndices ? Fresh(name + "_indices") : "";
        var node = AddNode("MaxPool", name, new[] { input }, withIndices ? new[] { y, indices } : new[] { y });
        node.Attribute.Add(Ints("kernel_shape", kernel));
        node.Attribute.Add(Ints("strides", w.Strides));
        node.Attribute.Add(Ints("pads", w.Pads));
        node.Attribute.Add(Ints("dilations", w.Dilations));
        node.Attribute.Add(Int("ceil_mode", ceilMode ? 1 : 0));
        return (y, indices);
    }

    private static WindowAttributes Window(string name, string opType, int[] kernel, int[]? strides, int[]? padsBegin, int[]? padsEnd, int[]? dilations)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        int n = kernel.Length;
        if (n == 0 || kernel.Any(k => k < 1))
            throw new ArgumentException($"{opType} '{name}' needs a kernel of positive sizes, one per spatial axis; got [{string.Join(", ", kernel)}].", nameof(kernel));
        int[] Per(int[]? values, int fallback, string what, int min)
        {
            if (values is null) return Enumerable.Repeat(fallback, n).ToArray();
            if (values.Length != n || values.Any(v => v < min))
                throw new ArgumentException(
                    $"{opType} '{name}' has a {n}-D kernel [{string.Join(", ", kernel)}], so {what} needs {n} values of at least {min}; got [{string.Join(", ", values)}].");
            return values;
        }
        int[] s = Per(strides, 1, "strides", 1), b = Per(padsBegin, 0, "padsBegin", 0), e = Per(padsEnd, 0, "padsEnd", 0), d = Per(dilations, 1, "dilations", 1);
        return new WindowAttributes(s, b.Concat(e).ToArray(), d);
    }

    private static int[] KernelOf(OnnxTensor weight, string name, string opType, string layout)
    {
        if (weight.Shape.Length < 3)
            throw new ArgumentException($"{opType} '{name}': weight '{weight.Name}' must be {layout} (at least 3 dims); got [{string.Join(", ", weight.Shape)}].", nameof(weight));
        return weight.Shape[2..];
    }

    private static void CheckGroup(int group, int channels, string name, string opType, string what)
    {
        if (group < 1 || channels % group != 0)
            throw new ArgumentOutOfRangeException(nameof(group), group, $"{opType} '{name}': group {group} must be at least 1 and divide the weight's {channels} {what}.");
    }

    private static void CheckBias(OnnxTensor? bias, int expected, string name, string opType, string what)
    {
        if (bias is not null && (bias.Shape.Length != 1 || bias.Shape[0] != expected))
            throw new ArgumentException($"{opType} '{name}': bias '{bias.Name}' must be [{expected}] (one per {what} channel); got [{string.Join(", ", bias.Shape)}].", nameof(bias));
    }

    private static void CheckSpatial(string name, string opType, int[] begin, int[] end, bool allowNegative)
    {
        ArgumentNullException.ThrowIfNull(begin);
        ArgumentNullException.ThrowIfNull(end);
        if (begin.Length == 0 || begin.Length != end.Length || (!allowNegative && begin.Concat(end).Any(v => v < 0)))
            throw new ArgumentException(
                $"{opType} '{name}' needs begin and end amounts of equal length (one per spatial axis), none negative; got [{string.Join(", ", begin)}] and [{string.Join(", ", end)}].");
    }

    private string Unary(string opType, string x, string name)
    {
        string input = Resolve(x);
        string y = Fresh(name);
        AddNode(opType, name, new[] { input }, new[] { y });
        return y;
    }

    private string AxisOp(string opType, string x, string name, int axis)
    {
        string y = Unary(opType, x, name);
        _graph.Node[^1].Attribute.Add(Int("axis", axis));
        return y;
    }

    private string[] ResolveAll(string[] inputs, string name, string opType)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Length < 2) throw new ArgumentException($"{opType} '{name}' needs at least two inputs; got {inputs.Length}.", nameof(inputs));
        return inputs.Select(Resolve).ToArray();
    }
}
