using System.Collections.Generic;
using System.Linq;
using Strider.Generator.Layers;
using Strider.Generator.Model;

namespace Strider.Generator.Emit;

/// <summary>Forward and Backward: one device op per layer, in declaration order and its reverse.</summary>
internal static partial class NetworkEmitter
{
    private sealed partial class NetworkWriter
    {
        private string Param(int index) => _parameterFields[index];

        /// <summary>A BatchNorm's running statistics (the values inference uses).</summary>
        private (string Mean, string Var) Running(NodePlan bn) => (_bufferFields[bn.RunningMean] + ".Value", _bufferFields[bn.RunningVar] + ".Value");

        private string BiasValue(NodePlan n) => n.Bias >= 0 ? Param(n.Bias) + ".Value" : "null";

        private string BiasGradient(NodePlan n) => n.Bias >= 0 ? Param(n.Bias) + ".Gradient" : "null";

        private void WriteFreeAxisChecks(string tensor)
        {
            foreach (var f in _plan.FreeAxes)
            {
                _w.Line($"int n{f.Axis} = global::Strider.ShapeCheck.FreeAxisIndex({Literals.String(_plan.ClassName)}, {Literals.String(f.LayerText)}, {tensor}.Dim({f.Axis}), {f.Start}, {f.Step});");
            }
        }

        /// <param name="training">Code for "the pass runs in training mode": an inference Dropout's output is its input's buffer.</param>
        private void WriteLocals(string training)
        {
            foreach (var node in _plan.Nodes.Skip(1))
            {
                if (IsAlias(node)) _w.Line($"var {A(node)} = {A(Node(node.Inputs[0]))};");
                else if (AliasesAtInference(node)) _w.Line($"var {A(node)} = {training} ? {OutField(node)}! : {A(Node(node.Inputs[0]))};");
                else _w.Line($"var {A(node)} = {OutField(node)}!;");
            }
        }

        private string DimsArray(NodePlan n) => "stackalloc int[] { " + string.Join(", ", n.Shape.Select(d => d.ToCode())) + " }";

        /// <param name="mode">The forward pass the locals are for: at inference an aliasing Dropout's output is its input's buffer.</param>
        private void WriteLocals(PassMode mode)
        {
            foreach (var node in _plan.Nodes.Skip(1))
            {
                if (IsAlias(node) || (mode == PassMode.Inference && AliasesAtInference(node))) _w.Line($"var {A(node)} = {A(Node(node.Inputs[0]))};");
                else _w.Line($"var {A(node)} = {OutField(node)}!;");
            }
        }

        private void WriteForward()
        {
            _w.Line("/// <summary>Runs the network. The result is a view of a network-owned buffer, valid until the next Forward.</summary>");
            using (_w.Block($"public global::Strider.Tensor<{_outType}> Forward(global::Strider.Tensor<{_inType}> input)"))
            {
                const string input = "input";
                _w.Line("using var call = _calls.Enter(\"Forward\");");
                _w.Line("ThrowIfDisposed();");
                _w.Line($"if ({input} is null) throw new global::System.ArgumentNullException(nameof({input}));");
                _w.Line($"if (!ReferenceEquals({input}.Device, _device)) throw new global::System.ArgumentException(\"The input tensor is on device '\" + {input}.Device.Name + \"' but {_plan.ClassName} runs on '\" + _device.Name + \"'; create it with Tensor.From(net.Device, data).\", nameof({input}));");
                _w.Line($"{input} = _memory.Unaliased({input}, 0); // a view of this network's own buffer (its output fed back) is copied first");
                _w.Line($"int n = {input}.Batch;");
                WriteFreeAxisChecks(input);
                _w.Line($"EnsureBuffers({input}, n{FreeArgs});");
                _w.Line("_input = null; // until this call completes, Backward has no Forward to use");
                if (RecordsMode)
                {
                    // BatchNorm or Dropout: the modes run different ops, each pass straight-line in its own method.
                    _w.Line($"var {A(_last)} = Training ? ForwardTraining({input}.Buffer, n{FreeArgs}) : ForwardInference({input}.Buffer, n{FreeArgs});");
                }
                else
                {
                    _w.Line("var d = _device;");
                    _w.Line($"var {A(Node(0))} = {input}.Buffer;");
                    WritePassOps(PassMode.Training);
                }
                _w.Line($"_input = {input};");
                if (RecordsMode) _w.Line("_forwardTraining = Training;");
                _w.Line($"if (_output is null) _output = global::Strider.Tensor<{_outType}>.View({A(_last)}, n, new int[] {{ {string.Join(", ", _last.Shape.Select(s => s.ToCode()))} }});");
                _w.Line($"else _output.Rebind({A(_last)}, n, {DimsArray(_last)});");
                _w.Line("return _output;");
            }
            _w.Line();
            if (!RecordsMode) return;
            WritePass(PassMode.Training, "Forward's ops in training mode: BatchNorm normalises with the batch's statistics and updates its running ones, Dropout drops.");
            WritePass(PassMode.Inference, "Forward's ops in inference mode: BatchNorm uses its running statistics (folded into the conv before it where it can), Dropout is the identity.");
        }

        /// <summary>One mode's forward pass as a method from the input buffer to the output buffer.</summary>
        private void WritePass(PassMode mode, string summary)
        {
            _w.Line($"/// <summary>{summary}</summary>");
            using (_w.Block($"private {Dev}.DeviceBuffer<float> Forward{mode}({Dev}.DeviceBuffer<float> {A(Node(0))}, int n{FreeParams})"))
            {
                _w.Line("var d = _device;");
                WritePassOps(mode);
                _w.Line($"return {A(_last)};");
            }
            _w.Line();
        }

        /// <summary>The locals and one op per layer of a forward pass in <paramref name="mode"/>.</summary>
        private void WritePassOps(PassMode mode)
        {
            WriteLocals(mode);
            if (mode == PassMode.Training && Uses(LayerKind.Dropout)) _w.Line("_step++;");
            var pass = Pass();
            foreach (var node in _plan.Nodes.Skip(1))
            {
                _w.Line($"// {node.Name}: {node.Label} -> {string.Join("x", node.Shape.Select(s => s.ToText()))}");
                node.Rule.Forward(pass, node, mode);
            }
        }

        /// <summary>A Concat's inputs with their channel counts and channel offsets in its output, as code.</summary>
        private static IEnumerable<(NodePlan Part, string Channels, string Offset)> ConcatParts(NodePlan concat, System.Func<int, NodePlan> node)
        {
            // Constant channel counts add up at generation time; a free one (a permuted Dim.Any axis) is added as code.
            long offset = 0;
            var free = new List<string>();
            foreach (int k in concat.Inputs)
            {
                var part = node(k);
                var sums = (offset != 0 || free.Count == 0 ? new[] { Literals.Int(offset) } : new string[0]).Concat(free);
                yield return (part, part.Shape[0].ToCode(), string.Join(" + ", sums));
                if (part.Shape[0].IsFixed) offset += part.Shape[0].U;
                else free.Add(part.Shape[0].ToCode());
            }
        }

        /// <summary>Dense works on the last axis: rows = batch x every other axis.</summary>
        private string DenseArgs(NodePlan n)
        {
            var input = Node(n.Inputs[0]);
            string others = Product(input.Shape.Take(input.Shape.Count - 1), null);
            string rows = others == "1" ? "n" : "n * " + others;
            return $"{rows}, {input.Shape[input.Shape.Count - 1].ToCode()}, {n.Shape[n.Shape.Count - 1].ToCode()}";
        }

        /// <summary>Nodes whose gradient reaches the output (<see cref="ExecutionPlan.Live"/>).</summary>
        private bool[] Live() => _exec.Live.ToArray();

        /// <summary>Nodes whose gradient BackwardParameters computes too (<see cref="ExecutionPlan.ParameterGradientPath"/>).</summary>
        private bool[] ParameterGradientPath() => _exec.ParameterGradientPath.ToArray();

        private void WriteBackward()
        {
            _w.Line("/// <summary>");
            _w.Line("/// Back-propagates <paramref name=\"outputGradient\"/> through the last Forward: returns the input gradient (a view,");
            _w.Line("/// valid until the next Backward) and adds every parameter's gradient into <see cref=\"global::Strider.Parameter.Gradient\"/>.");
            _w.Line("/// </summary>");
            using (_w.Block($"public global::Strider.Tensor<{_inType}> Backward(global::Strider.Tensor<{_outType}> outputGradient)"))
            {
                _w.Line("using var call = _calls.Enter(\"Backward\");");
                _w.Line("BackwardCore(outputGradient, inputGradient: true);");
                _w.Line("int n = _batch;");
                foreach (var f in _plan.FreeAxes) _w.Line($"int n{f.Axis} = _n{f.Axis};");
                _w.Line($"if (_inputGradient is null) _inputGradient = global::Strider.Tensor<{_inType}>.View({GradField(Node(0))}!, n, new int[] {{ {string.Join(", ", Node(0).Shape.Select(s => s.ToCode()))} }});");
                _w.Line($"else _inputGradient.Rebind({GradField(Node(0))}!, n, {DimsArray(Node(0))});");
                _w.Line("return _inputGradient;");
            }
            _w.Line();
            _w.Line("/// <summary>");
            _w.Line("/// Adds every parameter's gradient into <see cref=\"global::Strider.Parameter.Gradient\"/> exactly as Backward does, but");
            _w.Line("/// skips the gradients that only serve the input gradient (what a training step needs).");
            _w.Line("/// </summary>");
            using (_w.Block($"public void BackwardParameters(global::Strider.Tensor<{_outType}> outputGradient)"))
            {
                _w.Line("using var call = _calls.Enter(\"BackwardParameters\");");
                _w.Line("BackwardCore(outputGradient, inputGradient: false);");
            }
            _w.Line();
            using (_w.Block($"private void BackwardCore(global::Strider.Tensor<{_outType}> outputGradient, bool inputGradient)"))
            {
                string method = $"{_plan.ClassName}.\" + (inputGradient ? \"Backward\" : \"BackwardParameters\") + \"";
                _w.Line("ThrowIfDisposed();");
                _w.Line("if (outputGradient is null) throw new global::System.ArgumentNullException(nameof(outputGradient));");
                _w.Line($"var input = _input ?? throw new global::System.InvalidOperationException(\"{method} needs a Forward first (one that completed): it uses that call's activations.\");");
                _w.Line("if (!ReferenceEquals(outputGradient.Device, _device)) throw new global::System.ArgumentException(\"The gradient is on device '\" + outputGradient.Device.Name + \"' but the network runs on '\" + _device.Name + \"'.\", nameof(outputGradient));");
                _w.Line("int n = _batch;");
                _w.Line($"if (outputGradient.Batch != n) throw new global::System.ArgumentException(\"The output gradient has a batch of \" + outputGradient.Batch + \" but the last Forward had \" + n + \".\", nameof(outputGradient));");
                var bn = _plan.Nodes.FirstOrDefault(x => x.Kind == LayerKind.BatchNorm);
                if (bn is not null)
                    _w.Line($"if (!_forwardTraining) throw new global::System.InvalidOperationException(\"{method} needs training mode: BatchNorm '{bn.Name}' normalised the last Forward with running statistics. Set Training = true before Forward.\");");
                foreach (var f in _plan.FreeAxes) _w.Line($"int n{f.Axis} = _n{f.Axis};");
                // Only the output's own free sizes: a global pool ends a free input axis in a fixed size.
                foreach (int axis in Enumerable.Range(0, _last.Shape.Count).Where(k => !_last.Shape[k].IsFixed))
                {
                    string expected = _last.Shape[axis].ToCode();
                    _w.Line($"if (outputGradient.Dim({axis}) != {expected}) throw new global::System.ArgumentException(\"The output gradient's axis {axis} is \" + outputGradient.Dim({axis}) + \" but the last Forward produced \" + ({expected}) + \".\", nameof(outputGradient));");
                }
                _w.Line("outputGradient = _memory.Unaliased(outputGradient, 1); // a view of this network's own buffer is copied first");
                _w.Line("var d = _device;");
                _w.Line($"var {A(Node(0))} = input.Buffer;");
                _w.Line($"var {G(_last)} = outputGradient.Buffer;");
                WriteLocals("_forwardTraining");
                var live = Live();
                var ops = new BackwardOps(_w, ParameterGradientPath());
                for (int i = _plan.Nodes.Count - 1; i >= 1; i--)
                {
                    var node = Node(i);
                    if (!live[i]) continue;
                    ops.Gradient(i, $"// {node.Name}: {node.Label}");
                    node.Rule.Backward(Pass(), node, ops);
                }
                if (!ops.Written(0)) ops.Gradient(0, $"d.Fill({GradField(Node(0))}!, 0, {Count(Node(0))}, 0f); // the output does not depend on the input");
                ops.Flush();
            }
            _w.Line();
        }

        private void WriteDispose()
        {
            // NetworkBase.Dispose frees the parameters and calls this once for the layers' own buffers.
            using (_w.Block(Shared ? "protected override void DisposeBuffers()" : "public void Dispose()"))
            {
                if (!Shared)
                {
                    _w.Line("if (_disposed) return;");
                    _w.Line("using var call = _calls.Enter(\"Dispose\");");
                    _w.Line("_disposed = true;");
                    _w.Line("_memory.Dispose();");
                    _w.Line("foreach (var p in _parameters) p.Dispose();");
                    _w.Line("foreach (var b in _buffers) b.Dispose();");
                }
                foreach (var b in _exec.Buffers.Where(b => b.Pass != BufferPass.Dense)) _w.Line($"{b.Field}?.Dispose();");
                if (_plan.Dense is not null) _w.Line("DisposeDense();");
            }
        }
    }
}
