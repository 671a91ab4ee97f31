using System.Collections.Generic;
using System.Linq;
using Strider.Generator.Layers;
using Strider.Generator.Model;

namespace Strider.Generator.Emit;

/// <summary>
/// ForwardDense: the à trous (stride-1, dilated) variant of Forward, with its own buffers, inference only.
/// </summary>
internal static partial class NetworkEmitter
{
    private sealed partial class NetworkWriter
    {
        /// <summary>ForwardDense's nodes as planned: dense shapes, stride 1, dilations multiplied, crop offsets scaled.</summary>
        private List<NodePlan> DenseNodes() => _plan.Dense!.Nodes.ToList();

        /// <summary>ForwardDense's buffers (<see cref="BufferPass.Dense"/>): every node's but an aliasing Dropout's and a folded conv's.</summary>
        private IEnumerable<BufferPlan> DenseBuffers => _exec.Buffers.Where(b => b.Pass == BufferPass.Dense);

        /// <summary>Whether the node has an output buffer of its own in ForwardDense.</summary>
        private bool DenseOwnsBuffer(NodePlan n) => DenseBuffers.Any(b => b.Node == n.Index);

        /// <summary>A layer's output buffer in ForwardDense.</summary>
        private string DenseOut(NodePlan n) => BufferOf(n, BufferRole.DenseOut).Field;

        private string DenseType => ShapeType(_plan.Dense!.Nodes[_plan.Nodes.Count - 1].Shape);

        /// <summary>Dense axes are indexed by the raw input size: every size from the field up works.</summary>
        private IEnumerable<int> DenseFreeAxes => _plan.FreeAxes.Select(f => f.Axis);

        private void WriteDense()
        {
            if (_plan.Dense is null) return;
            var nodes = DenseNodes();
            WriteDenseFields();
            WriteDenseEnsure();
            WriteForwardDense(nodes);
            WriteDisposeDense();
        }

        private void WriteDenseFields()
        {
            _w.Line("private int _denseBatch = -1;");
            foreach (int axis in DenseFreeAxes) _w.Line($"private int _dn{axis} = -1;");
            foreach (var b in DenseBuffers) _w.Line($"private {Dev}.DeviceBuffer<float>? {b.Field};");
            _w.Line($"private global::Strider.Tensor<{DenseType}>? _denseOutput;");
            _w.Line();
            WriteGeometry(dense: true);
        }

        private string DenseFreeParams => string.Concat(DenseFreeAxes.Select(a => $", int n{a}"));

        private void WriteDenseEnsure()
        {
            using (_w.Block($"private void EnsureDenseBuffers(object input, int n{DenseFreeParams})"))
            {
                var same = new List<string> { "n == _denseBatch" };
                same.AddRange(DenseFreeAxes.Select(a => $"n{a} == _dn{a}"));
                _w.Line($"if ({string.Join(" && ", same)}) return;");
                _w.Line($"GrowDenseBuffers(input, n{string.Concat(DenseFreeAxes.Select(a => $", n{a}"))});");
                _w.Line("_denseBatch = n;");
                foreach (int axis in DenseFreeAxes) _w.Line($"_dn{axis} = n{axis};");
            }
            _w.Line();
            using (_w.Block($"private void GrowDenseBuffers(object input, int n{DenseFreeParams})"))
            {
                _w.Line("_memory.Grow(_device, \"ForwardDense\", input, n, m =>");
                _w.Line("{");
                foreach (var b in DenseBuffers) Grow(b.Field, BufferSize(b));
                _w.Line("});");
            }
            _w.Line();
        }

        private void WriteForwardDense(List<NodePlan> nodes)
        {
            var dense = _plan.Dense!;
            var last = nodes[nodes.Count - 1];
            string strides = string.Join("x", dense.Strides.Select(s => Literals.Int(s)));
            string fields = string.Join("x", dense.Fields.Select(s => Literals.Int(s)));
            _w.Line("/// <summary>");
            _w.Line("/// The dense (stride-1) output in one pass, by the à trous rewrite: pools and strided convolutions get stride 1 and");
            _w.Line("/// every later window is dilated by the strides removed before it. Output position p is the network applied to the");
            _w.Line($"/// {fields} input window starting at p; Forward's output is every {strides} of it. Equivalently, with stride s, dense");
            _w.Line("/// position s·i + k is Forward's output i on the input shifted by k. Inference only: BatchNorm uses its running");
            _w.Line("/// statistics and Dropout is off. The result is a view of a network-owned buffer, valid until the next ForwardDense.");
            _w.Line("/// </summary>");
            using (_w.Block($"public global::Strider.Tensor<{DenseType}> ForwardDense(global::Strider.Tensor<{_inType}> input)"))
            {
                _w.Line("using var call = _calls.Enter(\"ForwardDense\");");
                _w.Line("ThrowIfDisposed();");
                _w.Line("if (input is null) throw new global::System.ArgumentNullException(nameof(input));");
                _w.Line($"if (!ReferenceEquals(input.Device, _device)) throw new global::System.ArgumentException(\"The input tensor is on device '\" + input.Device.Name + \"' but {_plan.ClassName} runs on '\" + _device.Name + \"'; create it with Tensor.From(net.Device, data).\", nameof(input));");
                _w.Line("input = _memory.Unaliased(input, 2); // a view of this network's own buffer is copied first");
                _w.Line("int n = input.Batch;");
                foreach (var f in _plan.FreeAxes)
                {
                    int field = dense.Fields[f.Axis - 1];
                    _w.Line($"int n{f.Axis} = input.Dim({f.Axis});");
                    _w.Line($"if (n{f.Axis} < {field}) throw new global::System.ArgumentException(\"{_plan.ClassName}.ForwardDense: the input size \" + n{f.Axis} + \" on axis {f.LayerText} is smaller than the {field} values one output sees; give at least {field}.\", nameof(input));");
                }
                _w.Line($"EnsureDenseBuffers(input, n{string.Concat(DenseFreeAxes.Select(a => $", n{a}"))});");
                _w.Line("var d = _device;");
                _w.Line($"var {A(nodes[0])} = input.Buffer;");
                foreach (var n in nodes.Skip(1))
                {
                    if (AliasesAtInference(n)) _w.Line($"var {A(n)} = {A(nodes[n.Inputs[0]])};");
                    else if (DenseOwnsBuffer(n)) _w.Line($"var {A(n)} = {DenseOut(n)}!;");
                }
                foreach (var n in nodes.Skip(1))
                {
                    _w.Line($"// {n.Name}: {n.Label} -> {string.Join("x", n.Shape.Select(s => s.ToText()))}" + (n.Detail is WindowDetail window ? $", stride 1, dilation {window.H.Dilation}x{window.W.Dilation}" : ""));
                    n.Rule.Forward(Pass(dense: true), n, PassMode.Inference);
                }
                _w.Line($"if (_denseOutput is null) _denseOutput = global::Strider.Tensor<{DenseType}>.View({A(last)}, n, new int[] {{ {string.Join(", ", last.Shape.Select(s => s.ToCode()))} }});");
                _w.Line($"else _denseOutput.Rebind({A(last)}, n, {DimsArray(last)});");
                _w.Line("return _denseOutput;");
            }
            _w.Line();
        }

        private void WriteDisposeDense()
        {
            using (_w.Block("private void DisposeDense()"))
            {
                foreach (var b in DenseBuffers) _w.Line($"{b.Field}?.Dispose();");
            }
            _w.Line();
        }
    }
}
