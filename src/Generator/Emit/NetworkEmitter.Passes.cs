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
            foreach (var node in LayerNodes)
            {
                if (IsAlias(node)) _w.Line($"var {A(node)} = {A(Node(node.Inputs[0]))};");
                else if (AliasesAtInference(node)) _w.Line($"var {A(node)} = {training} ? {OutField(node)}! : {A(Node(node.Inputs[0]))};");
                else _w.Line($"var {A(node)} = {OutField(node)}!;");
            }
        }

        private string DimsArray(NodePlan n) => "stackalloc int[] { " + string.Join(", ", n.Shape.Select(d => d.ToCode())) + " }";

        /// <param name="mode">The forward pass the locals are for: at inference an aliasing Dropout's output is its input's buffer.</param>
        /// <param name="slots">The pass takes <c>keep</c>: false puts each output in its inference slot (<see cref="ExecutionPlan.SlotOf"/>).</param>
        private void WriteLocals(PassMode mode, bool slots)
        {
            foreach (var node in LayerNodes)
            {
                if (IsAlias(node) || (mode == PassMode.Inference && AliasesAtInference(node))) _w.Line($"var {A(node)} = {A(Node(node.Inputs[0]))};");
                else if (slots && _exec.SlotOf[node.Index] >= 0) _w.Line($"var {A(node)} = keep ? {OutField(node)}! : {Slot(node)}!;");
                else _w.Line($"var {A(node)} = {OutField(node)}!;");
            }
            // A MaxPool's switches serve only Backward (no MaxUnpool reads them): an inference Forward does without.
            if (slots)
                foreach (var b in _exec.Buffers.Where(b => b.Role == BufferRole.Switches && !b.AtInference))
                    _w.Line($"var {_names[b.Node]}Switches = keep ? {b.Field} : null;");
        }

        /// <summary>
        /// Backward after an inference Forward runs it again keeping every activation (the inference slots hold only the
        /// live ones); with a BatchNorm, Backward needs a training Forward instead.
        /// </summary>
        private bool RerunsInference => !Uses(LayerKind.BatchNorm);

        /// <summary>The inference slot a layer's output shares with others never live at the same time.</summary>
        private string Slot(NodePlan n) => _exec.Buffers.Where(b => b.Pass == BufferPass.Slot).ElementAt(_exec.SlotOf[n.Index]).Field;

        /// <summary>The forward pass for a mode: the training pass, or the one that takes <c>keep</c> (inference, or both modes when they run the same ops).</summary>
        /// <param name="backward">Called from Backward: the inputs are the last Forward's, not the parameters.</param>
        private string PassCall(bool training, string keep, bool backward = false)
        {
            string args = string.Join(", ", _inputs.Select((x, i) => !backward ? InputParam(i) + ".Buffer" : i == 0 ? "input.Buffer" : InputField(i) + "!.Buffer"));
            return training ? $"ForwardTraining({args}, n{FreeArgs})" : $"{(RecordsMode ? "ForwardInference" : "ForwardPass")}({args}, n{FreeArgs}, keep: {keep})";
        }

        private void WriteForward()
        {
            _w.Line("/// <summary>Runs the network. The result is a view of a network-owned buffer, valid until the next Forward.</summary>");
            using (_w.Block($"public {ForwardReturns} Forward({ForwardParameters})"))
            {
                string input = InputParam(0);
                _w.Line("using var call = _calls.Enter(\"Forward\");");
                _w.Line("ThrowIfDisposed();");
                for (int i = 0; i < _inputs.Length; i++) _w.Line($"if ({InputParam(i)} is null) throw new global::System.ArgumentNullException(nameof({InputParam(i)}));");
                for (int i = 0; i < _inputs.Length; i++)
                {
                    string x = InputParam(i), which = SeveralInputs ? " '" + _inputs[i].Name + "'" : "";
                    _w.Line($"if (!ReferenceEquals({x}.Device, _device)) throw new global::System.ArgumentException(\"The input tensor{which} is on device '\" + {x}.Device.Name + \"' but {_plan.ClassName} runs on '\" + _device.Name + \"'; create it with Tensor.From(net.Device, data).\", nameof({x}));");
                }
                for (int i = 0; i < _inputs.Length; i++)
                    _w.Line($"{InputParam(i)} = _memory.Unaliased({InputParam(i)}, {InputSlot(i)}); // a view of this network's own buffer (its output fed back) is copied first");
                _w.Line($"int n = {input}.Batch;");
                for (int i = 1; i < _inputs.Length; i++)
                {
                    string x = InputParam(i);
                    string message = $"\"'{_inputs[i].Name}' has a batch of \" + {x}.Batch + \" but '{_inputs[0].Name}' has \" + n + \"; every input of {_plan.ClassName} takes the same batch.\"";
                    _w.Line($"if ({x}.Batch != n) throw new global::System.ArgumentException({message}, nameof({x}));");
                }
                WriteFreeAxisChecks(input);
                _w.Line($"EnsureBuffers({input}, n{FreeArgs}, training: Training);");
                _w.Line("_input = null; // until this call completes, Backward has no Forward to use");
                string results = SeveralOutputs ? "(" + string.Join(", ", _outputs.Select(A)) + ")" : A(_outputs[0]);
                // An inference Forward writes the slots; Backward after one runs it again keeping every activation.
                if (RecordsMode) _w.Line($"var {results} = Training ? {PassCall(true, "")} : {PassCall(false, "false")};");
                else _w.Line($"var {results} = {PassCall(false, "Training")};");
                for (int i = 1; i < _inputs.Length; i++) _w.Line($"{InputField(i)} = {InputParam(i)};");
                _w.Line($"_input = {input};");
                if (RecordsMode) _w.Line("_forwardTraining = Training;");
                if (RerunsInference) _w.Line("_forwardKept = Training;");
                WriteOutputViews();
            }
            _w.Line();
            if (RecordsMode)
            {
                WritePass(PassMode.Training, "Forward's ops in training mode: BatchNorm normalises with the batch's statistics and updates its running ones, Dropout drops.");
                WritePass(PassMode.Inference, "Forward's ops in inference mode: BatchNorm uses its running statistics (folded into the conv before it where it can), Dropout is the identity.");
            }
            // Without a BatchNorm or Dropout both modes run the same ops, with the inference rewrites (a conv applying the
            // Relu after it as it stores: that Relu's Backward reads its own output, so nothing reads the conv's).
            else WritePass(PassMode.Inference, "Forward's ops (the same in both modes).", "ForwardPass");
        }

        /// <summary>
        /// One mode's forward pass as a method from the input buffers to the output buffer (a tuple of them with several
        /// outputs). The inference pass (and a network's only pass) takes <c>keep</c>: true writes every layer's own
        /// buffer, for a Backward; false the inference slots.
        /// </summary>
        private void WritePass(PassMode mode, string summary, string? name = null)
        {
            bool slots = name is not null || mode == PassMode.Inference;
            _w.Line($"/// <summary>{summary}{(slots ? " With <paramref name=\"keep\"/>, each layer's output stays in its own buffer for Backward; otherwise layers never live at once share the inference slots." : "")}</summary>");
            string buffer = $"{Dev}.DeviceBuffer<float>";
            string returns = SeveralOutputs ? "(" + string.Join(", ", _outputs.Select(_ => buffer)) + ")" : buffer;
            string inputs = string.Join(", ", _inputs.Select(x => $"{buffer} {A(x)}"));
            using (_w.Block($"private {returns} {name ?? "Forward" + mode}({inputs}, int n{FreeParams}{(slots ? ", bool keep" : "")})"))
            {
                _w.Line("var d = _device;");
                _slotPass = slots;
                WritePassOps(mode, slots);
                _slotPass = false;
                _w.Line($"return {(SeveralOutputs ? "(" + string.Join(", ", _outputs.Select(A)) + ")" : A(_outputs[0]))};");
            }
            _w.Line();
        }

        /// <summary>The locals and one op per layer of a forward pass in <paramref name="mode"/>.</summary>
        private void WritePassOps(PassMode mode, bool slots)
        {
            WriteLocals(mode, slots);
            if (mode == PassMode.Training && Uses(LayerKind.Dropout)) _w.Line("_step++;");
            var pass = Pass();
            foreach (var node in LayerNodes)
            {
                _w.Line($"// {node.Name}: {node.Label} -> {string.Join("x", node.Shape.Select(s => s.ToText()))}");
                if (mode == PassMode.Inference && AppliedByConv(node) is { } applied) _w.Line(applied);
                else node.Rule.Forward(pass, node, mode);
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
            string gradients = SeveralOutputs ? "the output gradients (a null one: no gradient from that output)" : "<paramref name=\"outputGradient\"/>";
            string returns = SeveralInputs ? "returns the input gradients, one per input" : "returns the input gradient";
            _w.Line("/// <summary>");
            _w.Line($"/// Back-propagates {gradients} through the last Forward: {returns} (a view,");
            _w.Line("/// valid until the next Backward) and adds every parameter's gradient into <see cref=\"global::Strider.Parameter.Gradient\"/>.");
            _w.Line("/// </summary>");
            using (_w.Block($"public {BackwardReturns} Backward({GradientParameters})"))
            {
                _w.Line("using var call = _calls.Enter(\"Backward\");");
                _w.Line($"BackwardCore({GradientArguments}, inputGradient: true);");
                _w.Line("int n = _batch;");
                foreach (var f in _plan.FreeAxes) _w.Line($"int n{f.Axis} = _n{f.Axis};");
                WriteInputGradientViews();
            }
            _w.Line();
            _w.Line("/// <summary>");
            _w.Line("/// Adds every parameter's gradient into <see cref=\"global::Strider.Parameter.Gradient\"/> exactly as Backward does, but");
            _w.Line("/// skips the gradients that only serve the input gradient (what a training step needs).");
            _w.Line("/// </summary>");
            using (_w.Block($"public void BackwardParameters({GradientParameters})"))
            {
                _w.Line("using var call = _calls.Enter(\"BackwardParameters\");");
                _w.Line($"BackwardCore({GradientArguments}, inputGradient: false);");
            }
            _w.Line();
            using (_w.Block($"private void BackwardCore({GradientParameters}, bool inputGradient)"))
            {
                string method = $"{_plan.ClassName}.\" + (inputGradient ? \"Backward\" : \"BackwardParameters\") + \"";
                _w.Line("ThrowIfDisposed();");
                if (SeveralOutputs)
                {
                    string none = string.Join(" && ", _outputs.Select((_, j) => GradientParam(j) + " is null"));
                    _w.Line($"if ({none}) throw new global::System.ArgumentException(\"{method} needs the gradient of at least one output ({string.Join(", ", _outputs.Select(o => o.Name))}); a null one means no gradient flows from that output.\");");
                }
                else _w.Line("if (outputGradient is null) throw new global::System.ArgumentNullException(nameof(outputGradient));");
                _w.Line($"var input = _input ?? throw new global::System.InvalidOperationException(\"{method} needs a Forward first (one that completed): it uses that call's activations.\");");
                if (!SeveralOutputs)
                    _w.Line("if (!ReferenceEquals(outputGradient.Device, _device)) throw new global::System.ArgumentException(\"The gradient is on device '\" + outputGradient.Device.Name + \"' but the network runs on '\" + _device.Name + \"'.\", nameof(outputGradient));");
                _w.Line("int n = _batch;");
                if (!SeveralOutputs)
                    _w.Line($"if (outputGradient.Batch != n) throw new global::System.ArgumentException(\"The output gradient has a batch of \" + outputGradient.Batch + \" but the last Forward had \" + n + \".\", nameof(outputGradient));");
                var bn = _plan.Nodes.FirstOrDefault(x => x.Kind == LayerKind.BatchNorm);
                if (bn is not null)
                    _w.Line($"if (!_forwardTraining) throw new global::System.InvalidOperationException(\"{method} needs training mode: BatchNorm '{bn.Name}' normalised the last Forward with running statistics. Set Training = true before Forward.\");");
                foreach (var f in _plan.FreeAxes) _w.Line($"int n{f.Axis} = _n{f.Axis};");
                for (int j = 0; j < _outputs.Length; j++) WriteGradientChecks(j);
                // With a BatchNorm, Backward needs a training Forward (checked above), which keeps its activations.
                if (RerunsInference)
                {
                    using (_w.Block("if (!_forwardKept)"))
                    {
                        _w.Line("// The last Forward ran in the inference slots: run it again keeping each layer's output (the same values), then go back through it.");
                        _w.Line($"EnsureBuffers(input, n{FreeArgs}, training: true);");
                        _w.Line($"{(SeveralOutputs ? "_ = " : "")}{PassCall(false, "true", backward: true)};");
                        _w.Line("_forwardKept = true;");
                    }
                }
                _w.Line("var d = _device;");
                _w.Line($"var {A(Node(0))} = input.Buffer;");
                for (int i = 1; i < _inputs.Length; i++) _w.Line($"var {A(_inputs[i])} = {InputField(i)}!.Buffer;");
                if (OutputIsLast) _w.Line($"var {G(_last)} = outputGradient.Buffer;");
                WriteLocals("_forwardTraining");
                var live = Live();
                var ops = new BackwardOps(_w, ParameterGradientPath());
                // An output other than the only last layer: the caller's gradient (or zeros) seeds its buffer, and layers reading it add theirs.
                if (!OutputIsLast)
                    for (int j = 0; j < _outputs.Length; j++)
                    {
                        var o = _outputs[j];
                        string g = GradientParam(j), buffer = GradField(o) + "!";
                        ops.Acc(o.Index);
                        ops.Gradient(o.Index, SeveralOutputs
                            ? $"if ({g} is null) d.Fill({buffer}, 0, {Count(o)}, 0f); else d.Copy({g}.Buffer, 0, {buffer}, 0, {Count(o)}, false);"
                            : $"d.Copy({g}.Buffer, 0, {buffer}, 0, {Count(o)}, false);");
                    }
                for (int i = _plan.Nodes.Count - 1; i >= _inputs.Length; i--)
                {
                    var node = Node(i);
                    if (!live[i]) continue;
                    ops.Gradient(i, $"// {node.Name}: {node.Label}");
                    node.Rule.Backward(Pass(), node, ops);
                }
                for (int i = 0; i < _inputs.Length; i++)
                {
                    var x = _inputs[i];
                    string which = SeveralInputs ? $"input '{x.Name}'" : "input";
                    if (!ops.Written(i)) ops.Gradient(i, $"d.Fill({GradField(x)}!, 0, {Count(x)}, 0f); // the output does not depend on the {which}");
                }
                ops.Flush();
            }
            _w.Line();
        }

        /// <summary>
        /// Output <paramref name="j"/>'s gradient checked against the last Forward (device, batch, free sizes) and copied
        /// when it is a view of the network's own buffers; with several outputs, only when given.
        /// </summary>
        private void WriteGradientChecks(int j)
        {
            var o = _outputs[j];
            string g = GradientParam(j);
            string what = SeveralOutputs ? $"The gradient of output '{o.Name}'" : "The output gradient";
            IndentedWriter.Scope? scope = null;
            if (SeveralOutputs)
            {
                scope = _w.Block($"if ({g} is not null)");
                _w.Line($"if (!ReferenceEquals({g}.Device, _device)) throw new global::System.ArgumentException(\"{what} is on device '\" + {g}.Device.Name + \"' but the network runs on '\" + _device.Name + \"'.\", nameof({g}));");
                _w.Line($"if ({g}.Batch != n) throw new global::System.ArgumentException(\"{what} has a batch of \" + {g}.Batch + \" but the last Forward had \" + n + \".\", nameof({g}));");
            }
            // Only the output's own free sizes: a global pool ends a free input axis in a fixed size.
            foreach (int axis in Enumerable.Range(0, o.Shape.Count).Where(k => !o.Shape[k].IsFixed))
            {
                string expected = o.Shape[axis].ToCode();
                _w.Line($"if ({g}.Dim({axis}) != {expected}) throw new global::System.ArgumentException(\"{what}'s axis {axis} is \" + {g}.Dim({axis}) + \" but the last Forward produced \" + ({expected}) + \".\", nameof({g}));");
            }
            _w.Line($"{g} = _memory.Unaliased({g}, {GradientSlot(j)}); // a view of this network's own buffer is copied first");
            scope?.Dispose();
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
