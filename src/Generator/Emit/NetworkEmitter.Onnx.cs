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

        /// <summary>The highest opset a layer needs (AveragePool takes dilations from opset 19; the rest is in opset 17).</summary>
        private int OnnxOpset => _plan.Nodes.Max(n => n.Rule.OnnxOpset(n));

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
                foreach (var node in LayerNodes)
                {
                    string? problem = node.Rule.OnnxProblem(Pass(), node);
                    if (problem is null) continue;
                    // A layer ONNX cannot express exactly: the export says which and why, rather than writing a wrong graph.
                    string message = $"{_plan.ClassName} cannot be exported to ONNX: layer '{node.Name}' ({node.Label}): {problem}.";
                    _w.Line($"throw new global::System.NotSupportedException({Literals.String(message)});");
                    return;
                }
                _w.Line($"var b = new {OnnxNs}.OnnxGraphBuilder({Literals.String(_plan.ClassName)}, {OnnxOpset});");
                // Graph inputs and outputs by name: several of them are told apart by the [Input] and [Output] names.
                for (int i = 0; i < _inputs.Length; i++)
                    _w.Line($"var {OnnxValue(i)} = b.AddInput({(i == 0 ? "InputName" : Literals.String(_inputs[i].Name))}, {OnnxDims(_inputs[i])});");
                foreach (var node in LayerNodes)
                {
                    _w.Line($"// {node.Name}: {node.Label}");
                    node.Rule.Onnx(Pass(), node);
                }
                foreach (var o in _outputs)
                    _w.Line($"b.AddOutput({OnnxValue(o.Index)}, {Literals.String(SeveralOutputs ? o.Name : "output")}, {OnnxDims(o)});");
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

        /// <summary>Whether a MaxUnpool reads this MaxPool's indices (the graph keeps them and the pool's input).</summary>
        private bool OnnxUnpooled(NodePlan pool) => _plan.Nodes.Any(n => n.Detail is UnpoolDetail u && u.Pool == pool.Index);

        /// <summary>Slices off trailing inputs no window reads (a negative end pad), so ONNX sees the sizes Strider computes with.</summary>
        private string OnnxCropEnds(NodePlan n, string x, long[] cropEnd)
        {
            if (cropEnd.All(c => c == 0)) return x;
            string cropped = _names[n.Index] + "Read";
            _w.Line($"var {cropped} = b.Crop({x}, {Literals.String(n.Name + "/unread")}, {OnnxInts(cropEnd.Select(_ => 0L))}, {OnnxInts(cropEnd)});");
            return cropped;
        }
    }
}
