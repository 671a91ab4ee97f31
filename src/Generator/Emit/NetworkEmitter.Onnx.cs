using System.Collections.Generic;
using System.Linq;
using Strider.Generator.Model;

namespace Strider.Generator.Emit;

/// <summary>
/// ExportOnnx: the network as an ONNX graph in inference mode, one builder call per layer (straight-line like Forward),
/// with every pad resolved to explicit numbers so ONNX Runtime computes exactly Strider's output sizes.
/// </summary>
internal static partial class NetworkEmitter
{
    private sealed partial class NetworkWriter
    {
        private const string OnnxNs = "global::Strider.Onnx";

        /// <summary>ONNX AveragePool takes dilations from opset 19; everything else Strider writes is in opset 17.</summary>
        private int OnnxOpset => _plan.Nodes.Any(n => n.Kind == LayerKind.AvgPool && (n.DilationH != 1 || n.DilationW != 1)) ? 19 : 17;

        private void WriteOnnxExport()
        {
            _w.Line();
            _w.Line($"/// <summary>");
            _w.Line($"/// Writes the network with its current weights to <paramref name=\"path\"/> as an ONNX model (opset {OnnxOpset}), in inference");
            _w.Line("/// mode: BatchNorm uses its running statistics and Dropout is the identity. The batch (and any Dim.Any size) is symbolic.");
            _w.Line("/// </summary>");
            _w.Line("public void ExportOnnx(string path) => BuildOnnxGraph().Save(path);");
            _w.Line();
            _w.Line("/// <summary>The ONNX model of <see cref=\"ExportOnnx(string)\"/> as bytes (a serialized ModelProto).</summary>");
            _w.Line("public byte[] ExportOnnx() => BuildOnnxGraph().ToBytes();");
            _w.Line();
            using (_w.Block($"private {OnnxNs}.OnnxGraphBuilder BuildOnnxGraph()"))
            {
                _w.Line("using var call = _calls.Enter(\"ExportOnnx\"); // it reads the weights: not while a Load or a step writes them");
                _w.Line("ThrowIfDisposed();");
                foreach (var node in _plan.Nodes.Skip(1))
                {
                    string? problem = OnnxProblem(node);
                    if (problem is null) continue;
                    // A layer ONNX cannot express exactly: the export says which and why, rather than writing a wrong graph.
                    string message = $"{_plan.ClassName} cannot be exported to ONNX: layer '{node.Name}' ({node.Label}): {problem}.";
                    _w.Line($"throw new global::System.NotSupportedException({Literals.String(message)});");
                    return;
                }
                _w.Line($"var b = new {OnnxNs}.OnnxGraphBuilder({Literals.String(_plan.ClassName)}, {OnnxOpset});");
                var unpooled = new HashSet<int>(_plan.Nodes.Where(n => n.Kind == LayerKind.MaxUnpool).Select(n => n.SwitchesOf));
                var input = Node(0);
                _w.Line($"var {OnnxValue(0)} = b.AddInput(InputName, {OnnxDims(input)});");
                foreach (var node in _plan.Nodes.Skip(1))
                {
                    _w.Line($"// {node.Name}: {node.Label}");
                    WriteOnnxOp(node, unpooled.Contains(node.Index));
                }
                _w.Line($"b.AddOutput({OnnxValue(_last.Index)}, \"output\", {OnnxDims(_last)});");
                _w.Line("return b;");
            }
        }

        /// <summary>Graph dims: batch, then fixed sizes; a free input axis is a named symbol, and an output axis equal to it shares the name.</summary>
        private string OnnxDims(NodePlan n)
        {
            var dims = new List<string> { $"{OnnxNs}.OnnxDim.Symbolic(\"batch\")" };
            for (int i = 0; i < n.Shape.Count; i++)
            {
                var d = n.Shape[i];
                if (d.IsFixed) { dims.Add(Literals.Int(d.U)); continue; }
                var free = _plan.FreeAxes.FirstOrDefault(f => f.Axis == d.Axis);
                bool sameAsInput = free is not null && d.U == free.Start && d.V == free.Step;
                dims.Add(sameAsInput ? $"{OnnxNs}.OnnxDim.Symbolic({Literals.String(OnnxAxisSymbol(free!))})" : $"{OnnxNs}.OnnxDim.Unknown");
            }
            return string.Join(", ", dims);
        }

        private static string OnnxAxisSymbol(FreeAxisPlan f) => f.LayerText switch { "H" => "height", "W" => "width", "L" => "length", _ => "axis" + f.Axis };

        private static string OnnxInts(IEnumerable<long> values) => "new int[] { " + string.Join(", ", values.Select(v => Literals.Int(v))) + " }";

        /// <summary>A layer's output in the graph: named as in Forward (<c>conv1Out</c>).</summary>
        private string OnnxValue(int node) => A(Node(node));

        /// <summary>A MaxPool's indices, kept for its MaxUnpool, and the pool's input, whose shape the unpool restores.</summary>
        private (string Indices, string Input) OnnxSwitches(NodePlan pool) => (_names[pool.Index] + "Switches", _names[pool.Index] + "In");

        private void WriteOnnxOp(NodePlan n, bool keepsSwitches)
        {
            string x = OnnxValue(n.Inputs[0]), y = OnnxValue(n.Index), name = Literals.String(n.Name);
            switch (n.Kind)
            {
                case LayerKind.Conv:
                case LayerKind.MaxPool:
                case LayerKind.AvgPool:
                {
                    var g = OnnxWindowPads(n, transposed: false);
                    x = OnnxCropEnds(n, x, g.CropEnd);
                    string window = $"strides: {OnnxInts(g.Strides)}, padsBegin: {OnnxInts(g.Begin)}, padsEnd: {OnnxInts(g.End)}, dilations: {OnnxInts(g.Dilations)}";
                    if (n.Kind == LayerKind.Conv)
                        _w.Line($"var {y} = b.Conv({x}, {name}, {Param(n.Weight)}, {OnnxBias(n)}, {window});");
                    else if (n.Kind == LayerKind.AvgPool)
                        _w.Line($"var {y} = b.AveragePool({x}, {name}, {OnnxInts(g.Kernel)}, {window});");
                    else if (keepsSwitches)
                    {
                        var (indices, poolInput) = OnnxSwitches(n);
                        _w.Line($"var ({y}, {indices}) = b.MaxPoolWithIndices({x}, {name}, {OnnxInts(g.Kernel)}, {window});");
                        _w.Line($"var {poolInput} = {x}; // the unpool's output takes this tensor's shape");
                    }
                    else
                        _w.Line($"var {y} = b.MaxPool({x}, {name}, {OnnxInts(g.Kernel)}, {window});");
                    break;
                }
                case LayerKind.Deconv:
                {
                    var g = OnnxWindowPads(n, transposed: true);
                    _w.Line($"var {y} = b.ConvTranspose({x}, {name}, {Param(n.Weight)}, {OnnxBias(n)}, strides: {OnnxInts(g.Strides)}, padsBegin: {OnnxInts(g.Begin)}, padsEnd: {OnnxInts(g.End)}, dilations: {OnnxInts(g.Dilations)}, outputPadding: {OnnxInts(g.OutputPadding)});");
                    break;
                }
                case LayerKind.MaxUnpool:
                {
                    var pool = Node(n.SwitchesOf);
                    var g = OnnxWindowPads(pool, transposed: false);
                    bool cropped = g.CropEnd.Any(c => c > 0);
                    string target = cropped ? _names[n.Index] + "Unpooled" : y;
                    var (indices, poolInput) = OnnxSwitches(pool);
                    _w.Line($"var {target} = b.MaxUnpool({x}, {name}, {indices}, {poolInput}, {OnnxInts(g.Kernel)}, strides: {OnnxInts(g.Strides)}, padsBegin: {OnnxInts(g.Begin)}, padsEnd: {OnnxInts(g.End)});");
                    // Inputs the pool never read come back as zeros, as in Strider's unpool.
                    if (cropped) _w.Line($"var {y} = b.Pad({target}, {Literals.String(n.Name + "/border")}, {OnnxInts(g.CropEnd.Select(_ => 0L))}, {OnnxInts(g.CropEnd)});");
                    break;
                }
                case LayerKind.Dense:
                    _w.Line($"var {y} = b.Dense({x}, {name}, {Param(n.Weight)}, {OnnxBias(n)});");
                    break;
                case LayerKind.Flatten:
                    _w.Line($"var {y} = b.Flatten({x}, {name});");
                    break;
                case LayerKind.Reshape:
                {
                    var dims = n.Shape.Select(d => d.IsFixed ? d.U : -1L).ToList();
                    _w.Line($"var {y} = b.Reshape({x}, {name}, {OnnxInts(dims)});");
                    break;
                }
                case LayerKind.Permute:
                    _w.Line($"var {y} = b.Transpose({x}, {name}, {OnnxInts(n.Axes.Select(a => (long)a))});");
                    break;
                case LayerKind.Pad:
                case LayerKind.Crop:
                {
                    var input = Node(n.Inputs[0]);
                    int rank = n.Shape.Count - 1;
                    var begin = OnnxBegins(n, rank);
                    var end = new long[rank];
                    for (int a = 0; a < rank; a++)
                    {
                        SizeExpr i = input.Shape[a + 1], o = n.Shape[a + 1];
                        end[a] = n.Kind == LayerKind.Pad ? o.U - i.U - begin[a] : i.U - o.U + begin[a];
                    }
                    _w.Line(n.Kind == LayerKind.Pad
                        ? $"var {y} = b.Pad({x}, {name}, {OnnxInts(begin)}, {OnnxInts(end)});"
                        : $"var {y} = b.Crop({x}, {name}, {OnnxInts(begin.Select(v => -v))}, {OnnxInts(end)});");
                    break;
                }
                case LayerKind.BatchNorm:
                    _w.Line($"var {y} = b.BatchNormalization({x}, {name}, {Param(n.Weight)}, {Param(n.Bias)}, {_bufferFields[n.RunningMean]}, {_bufferFields[n.RunningVar]}, {Literals.Float(n.P0)});");
                    break;
                case LayerKind.Dropout:
                    _w.Line($"var {y} = b.Dropout({x}, {name});");
                    break;
                case LayerKind.Softmax:
                    _w.Line($"var {y} = b.Softmax({x}, {name});");
                    break;
                case LayerKind.LogSoftmax:
                    _w.Line($"var {y} = b.LogSoftmax({x}, {name});");
                    break;
                case LayerKind.Relu: _w.Line($"var {y} = b.Relu({x}, {name});"); break;
                case LayerKind.Elu: _w.Line($"var {y} = b.Elu({x}, {name}, {Literals.Float(n.P0)});"); break;
                case LayerKind.Sigmoid: _w.Line($"var {y} = b.Sigmoid({x}, {name});"); break;
                case LayerKind.Tanh: _w.Line($"var {y} = b.Tanh({x}, {name});"); break;
                case LayerKind.SoftSign: _w.Line($"var {y} = b.Softsign({x}, {name});"); break;
                case LayerKind.Log: _w.Line($"var {y} = b.Log({x}, {name});"); break;
                case LayerKind.Exp: _w.Line($"var {y} = b.Exp({x}, {name});"); break;
                case LayerKind.Clip: _w.Line($"var {y} = b.Clip({x}, {name}, {Literals.Float(n.P0)}, {Literals.Float(n.P1)});"); break;
                case LayerKind.Add:
                    _w.Line($"var {y} = b.Add(new string[] {{ {string.Join(", ", n.Inputs.Select(OnnxValue))} }}, {name});");
                    break;
                case LayerKind.Concat:
                    _w.Line($"var {y} = b.Concat(new string[] {{ {string.Join(", ", n.Inputs.Select(OnnxValue))} }}, {name});");
                    break;
                default:
                    throw new System.InvalidOperationException("No ONNX operator for " + n.Kind + "; OnnxProblem lets no such layer through.");
            }
        }

        /// <summary>Why a layer cannot be written as exact ONNX, or null when it can.</summary>
        private string? OnnxProblem(NodePlan n)
        {
            switch (n.Kind)
            {
                case LayerKind.Conv:
                case LayerKind.MaxPool:
                case LayerKind.AvgPool:
                case LayerKind.Deconv:
                    return OnnxWindowPads(n, n.Kind == LayerKind.Deconv).Error;
                case LayerKind.MaxUnpool:
                    return OnnxWindowPads(Node(n.SwitchesOf), transposed: false).Error;
                case LayerKind.Reshape:
                    return n.Shape.Count(d => !d.IsFixed) > 1 ? "its target shape has more than one free size" : null;
                case LayerKind.Pad:
                case LayerKind.Crop:
                {
                    var input = Node(n.Inputs[0]);
                    for (int a = 1; a < n.Shape.Count; a++)
                        if (input.Shape[a].V != n.Shape[a].V) return "its end amount would depend on the input size";
                    return null;
                }
                case LayerKind.Input:
                    return "the input is not a layer";
                default:
                    return null;
            }
        }

        private string OnnxBias(NodePlan n) => n.Bias >= 0 ? Param(n.Bias) : "null";

        /// <summary>Begin amounts per spatial axis (H then W; 1-D has only W).</summary>
        private static long[] OnnxBegins(NodePlan n, int rank) => rank == 2 ? new long[] { n.PadTop, n.PadLeft } : new long[] { n.PadLeft };

        /// <summary>Slices off trailing inputs no window reads (a negative end pad), so ONNX sees the sizes Strider computes with.</summary>
        private string OnnxCropEnds(NodePlan n, string x, long[] cropEnd)
        {
            if (cropEnd.All(c => c == 0)) return x;
            string cropped = _names[n.Index] + "Read";
            _w.Line($"var {cropped} = b.Crop({x}, {Literals.String(n.Name + "/unread")}, {OnnxInts(cropEnd.Select(_ => 0L))}, {OnnxInts(cropEnd)});");
            return cropped;
        }

        private sealed class OnnxWindow
        {
            public long[] Kernel = System.Array.Empty<long>();
            public long[] Strides = System.Array.Empty<long>();
            public long[] Dilations = System.Array.Empty<long>();
            public long[] Begin = System.Array.Empty<long>();
            public long[] End = System.Array.Empty<long>();
            public long[] CropEnd = System.Array.Empty<long>();
            public long[] OutputPadding = System.Array.Empty<long>();
            public string? Error;
        }

        /// <summary>
        /// Explicit ONNX pads from the planned sizes, per spatial axis. Window: end = (out - 1)s + d(k-1) + 1 - in - begin
        /// (ceil mode and Same become plain pads; a negative end is a crop of unread inputs). Transposed:
        /// r = (in - 1)s + d(k-1) + 1 - begin - out, an end crop when r &gt;= 0, else output padding -r. Over a free axis these
        /// are constants because valid sizes step in and out together (in = s·out + c, out = s·in + c); checked here.
        /// </summary>
        private OnnxWindow OnnxWindowPads(NodePlan n, bool transposed)
        {
            var input = Node(n.Inputs[0]);
            int rank = input.Shape.Count - 1;
            var g = new OnnxWindow
            {
                Kernel = rank == 2 ? new long[] { n.KernelH, n.KernelW } : new long[] { n.KernelW },
                Strides = rank == 2 ? new long[] { n.StrideH, n.StrideW } : new long[] { n.StrideW },
                Dilations = rank == 2 ? new long[] { n.DilationH, n.DilationW } : new long[] { n.DilationW },
                Begin = OnnxBegins(n, rank),
                End = new long[rank],
                CropEnd = new long[rank],
                OutputPadding = new long[rank],
            };
            for (int a = 0; a < rank; a++)
            {
                SizeExpr i = input.Shape[a + 1], o = n.Shape[a + 1];
                long s = g.Strides[a], eff = g.Dilations[a] * (g.Kernel[a] - 1) + 1;
                if (transposed ? o.V != s * i.V : o.V * s != i.V)
                {
                    g.Error = "its padding would depend on the input size";
                    return g;
                }
                if (transposed)
                {
                    long r = (i.U - 1) * s + eff - g.Begin[a] - o.U;
                    if (r >= 0) g.End[a] = r;
                    else g.OutputPadding[a] = -r;
                }
                else
                {
                    long end = (o.U - 1) * s + eff - i.U - g.Begin[a];
                    if (end >= 0) g.End[a] = end;
                    else g.CropEnd[a] = -end;
                }
            }
            return g;
        }
    }
}
