using System.Collections.Generic;
using System.Linq;
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

        private static string ActivationName(LayerKind kind) => $"{Dev}.Activation." + kind;

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
                _w.Line("var d = _device;");
                _w.Line($"var {A(Node(0))} = {input}.Buffer;");
                WriteLocals("Training");
                if (Uses(LayerKind.Dropout)) _w.Line("if (Training) _step++;");
                foreach (var node in _plan.Nodes.Skip(1))
                {
                    _w.Line($"// {node.Name}: {node.Label} -> {string.Join("x", node.Shape.Select(s => s.ToText()))}");
                    WriteForwardOp(node);
                }
                _w.Line($"_input = {input};");
                if (RecordsMode) _w.Line("_forwardTraining = Training;");
                _w.Line($"if (_output is null) _output = global::Strider.Tensor<{_outType}>.View({A(_last)}, n, new int[] {{ {string.Join(", ", _last.Shape.Select(s => s.ToCode()))} }});");
                _w.Line($"else _output.Rebind({A(_last)}, n, {DimsArray(_last)});");
                _w.Line("return _output;");
            }
            _w.Line();
        }

        /// <param name="dense">
        /// ForwardDense's nodes (stride 1, dilated; same indices as the plan's): inference only, no switches kept.
        /// </param>
        private void WriteForwardOp(NodePlan n, IReadOnlyList<NodePlan>? dense = null)
        {
            NodePlan At(int i) => dense is null ? Node(i) : dense[i];
            var input = At(n.Inputs[0]);
            string x = A(input), y = A(n);
            switch (n.Kind)
            {
                case LayerKind.Conv or LayerKind.Deconv when FoldedInto(n) is { } folded:
                {
                    var bn = At(folded.Index);
                    if (dense is not null)
                    {
                        WriteFoldedConv(n, bn, input, Geometry(n, dense is not null));
                        break;
                    }
                    var lines = ConvForwardLines(n, dense is not null, x, y);
                    if (lines.Count == 1) _w.Line("if (Training) " + lines[0]);
                    else
                    {
                        using (_w.Block("if (Training)"))
                            foreach (var line in lines) _w.Line(line);
                    }
                    using (_w.Block("else")) WriteFoldedConv(n, bn, input, Geometry(n, dense is not null));
                    break;
                }
                case LayerKind.Conv:
                case LayerKind.Deconv:
                    foreach (var line in ConvForwardLines(n, dense is not null, x, y)) _w.Line(line);
                    break;
                case LayerKind.MaxPool:
                    _w.Line($"d.MaxPoolForward({Geometry(n, dense is not null)}, n, {x}, {y}, {(dense is null ? Switches(n) : "null")});");
                    break;
                case LayerKind.AvgPool:
                    _w.Line($"d.AvgPoolForward({Geometry(n, dense is not null)}, n, {x}, {y});");
                    break;
                case LayerKind.MaxUnpool:
                    _w.Line($"d.MaxUnpoolForward({Geometry(Node(n.SwitchesOf))}, n, {x}, {Switches(Node(n.SwitchesOf))}!, {y});");
                    break;
                case LayerKind.Dense:
                    _w.Line($"d.DenseForward({DenseArgs(n)}, {x}, {Param(n.Weight)}.Value, {BiasValue(n)}, {y});");
                    break;
                case LayerKind.Flatten:
                case LayerKind.Reshape:
                    _w.Line("// same values, new shape: no copy");
                    break;
                case LayerKind.Permute:
                    _w.Line($"d.Permute({Geometry(n, dense is not null)}, n, {x}, {y}, false);");
                    break;
                case LayerKind.Pad:
                    _w.Line($"d.Fill({y}, 0, {Count(n)}, 0f);");
                    _w.Line($"d.CopyBox({Geometry(n, dense is not null, "Copy")}, n, {x}, {y}, false);");
                    break;
                case LayerKind.Crop:
                    _w.Line($"d.CopyBox({Geometry(n, dense is not null, "Copy")}, n, {x}, {y}, false);");
                    break;
                case LayerKind.BatchNorm:
                {
                    string c = n.Shape[0].ToCode();
                    var (rm, rv) = Running(n);
                    if (dense is null && ChainOf(n) is { } chain)
                    {
                        var last = chain.Last;
                        string mask = chain.Dropout is { } drop ? $"{Mask(drop)}!, {Literals.Float(drop.P0)}, {DropoutSeed(drop)}" : "null, 0f, 0UL";
                        _w.Line($"// training: {n.Name} -> {chain.Relu.Name}{(chain.Dropout is { } dr ? " -> " + dr.Name : "")} fused, one pass writing {last.Name}'s output{(chain.Dropout is null ? "" : " and mask")} only");
                        _w.Line($"if (Training) d.BatchNormReluForwardTraining(n, {c}, {Inner(n)}, {x}, {Param(n.Weight)}.Value, {Param(n.Bias)}.Value, {rm}, {rv}, {Literals.Float(n.P1)}, {Literals.Float(n.P0)}, {mask}, {A(last)}, {SavedMean(n)}!, {SavedInvStd(n)}!);");
                    }
                    else if (dense is null) _w.Line($"if (Training) d.BatchNormForwardTraining(n, {c}, {Inner(n)}, {x}, {Param(n.Weight)}.Value, {Param(n.Bias)}.Value, {rm}, {rv}, {Literals.Float(n.P1)}, {Literals.Float(n.P0)}, {y}, {SavedMean(n)}!, {SavedInvStd(n)}!);");
                    if (FoldSource(n) is { } conv) _w.Line($"// {(dense is null ? "inference: " : "")}folded into {conv.Name} above");
                    else _w.Line($"{(dense is null ? "else " : "")}d.BatchNormForwardInference(n, {c}, {Inner(n)}, {x}, {Param(n.Weight)}.Value, {Param(n.Bias)}.Value, {rm}, {rv}, {Literals.Float(n.P0)}, {y});");
                    break;
                }
                case LayerKind.Dropout:
                {
                    bool fused = dense is null && ChainOf(n) is not null;
                    if (fused) _w.Line($"// training: written by the fused op at {ChainOf(n)!.Norm.Name}");
                    else if (dense is null) _w.Line($"if (Training) d.DropoutForward({Count(n)}, {Literals.Float(n.P0)}, {DropoutSeed(n)}, {x}, {Mask(n)}!, {y});");
                    if (AliasesAtInference(n)) _w.Line($"// {(dense is null ? "inference: " : "")}the identity, so {y} is {x}'s buffer (no copy)");
                    else _w.Line($"{(fused ? "if (!Training) " : dense is null ? "else " : "")}d.Copy({x}, 0, {y}, 0, {Count(n)}, false);");
                    break;
                }
                case LayerKind.Relu when dense is null && ChainOf(n) is { } chain:
                    _w.Line(chain.Last == n ? $"// training: written by the fused op at {chain.Norm.Name}" : $"// training: inside the fused op at {chain.Norm.Name} (its output is not written)");
                    _w.Line($"if (!Training) d.ActivationForward({ActivationName(n.Kind)}, {Count(n)}, {x}, {y}, {Literals.Float(n.P0)}, {Literals.Float(n.P1)});");
                    break;
                case LayerKind.Softmax:
                case LayerKind.LogSoftmax:
                    _w.Line($"d.SoftmaxForward({(n.Kind == LayerKind.LogSoftmax ? "true" : "false")}, n, {n.Shape[0].ToCode()}, {Inner(n)}, {x}, {y});");
                    break;
                case LayerKind.Add:
                    _w.Line($"d.Add({Count(n)}, {x}, {A(At(n.Inputs[1]))}, {y});");
                    foreach (int k in n.Inputs.Skip(2)) _w.Line($"d.Add({Count(n)}, {y}, {A(At(k))}, {y});");
                    break;
                case LayerKind.Concat:
                {
                    int position = 0;
                    foreach (var (part, _, _) in ConcatParts(n, At))
                        _w.Line($"d.CopyBox({Geometry(n, dense is not null, $"Part{++position}Copy")}, n, {A(part)}, {y}, false);");
                    break;
                }
                default:
                    _w.Line($"d.ActivationForward({ActivationName(n.Kind)}, {Count(n)}, {x}, {y}, {Literals.Float(n.P0)}, {Literals.Float(n.P1)});");
                    break;
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

        /// <summary>A Conv's forward op, or a Deconv's (the transposed conv, then its bias), from x into y.</summary>
        private List<string> ConvForwardLines(NodePlan n, bool dense, string x, string y)
        {
            if (n.Kind == LayerKind.Conv)
                return [$"d.ConvForward({Geometry(n, dense)}, n, {x}, {Param(n.Weight)}.Value, {BiasValue(n)}, {y});"];
            var lines = new List<string> { $"d.ConvBackwardData({Geometry(n, dense)}, n, {x}, {Param(n.Weight)}.Value, {y}, false);" };
            if (n.Bias >= 0) lines.Add($"d.AddBias(n, {n.Shape[0].ToCode()}, {Inner(n)}, {BiasValue(n)}, {y});");
            return lines;
        }

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
                foreach (var f in _plan.FreeAxes)
                {
                    int axis = f.Axis;
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
                    WriteBackwardOp(node, ops);
                }
                if (!ops.Written(0)) ops.Gradient(0, $"d.Fill({GradField(Node(0))}!, 0, {Count(Node(0))}, 0f); // the output does not depend on the input");
                ops.Flush();
            }
            _w.Line();
        }

        /// <summary>
        /// Backward's op lines in order. A line that only writes a gradient off the parameter path waits, with its
        /// neighbours of the same kind, to be written under one <c>if (inputGradient)</c>.
        /// </summary>
        private sealed class BackwardOps(IndentedWriter writer, bool[] parameterPath)
        {
            private readonly bool[] _written = new bool[parameterPath.Length];
            private readonly List<string> _skippable = new();

            /// <summary>A line that runs in Backward and BackwardParameters alike (a parameter gradient).</summary>
            public void Always(string line)
            {
                Flush();
                writer.Line(line);
            }

            /// <summary>A line whose effect is writing node <paramref name="target"/>'s gradient.</summary>
            public void Gradient(int target, string line)
            {
                if (parameterPath[target]) Always(line);
                else _skippable.Add(line);
            }

            public bool Written(int node) => _written[node];

            /// <summary>The first writer of an input's gradient overwrites it; later ones (in backward order) add.</summary>
            public string Acc(int input)
            {
                bool acc = _written[input];
                _written[input] = true;
                return acc ? "true" : "false";
            }

            /// <summary>Writes the waiting lines under one <c>if (inputGradient)</c>.</summary>
            public void Flush()
            {
                if (_skippable.Count == 1 && !_skippable[0].StartsWith("if ", System.StringComparison.Ordinal))
                    writer.Line("if (inputGradient) " + _skippable[0]);
                else if (_skippable.Count > 0)
                {
                    using (writer.Block("if (inputGradient)"))
                        foreach (var line in _skippable) writer.Line(line);
                }
                _skippable.Clear();
            }
        }

        private void WriteBackwardOp(NodePlan n, BackwardOps ops)
        {
            var input = Node(n.Inputs[0]);
            int i = input.Index;
            string x = A(input), y = A(n), gy = G(n), gx = G(input);
            switch (n.Kind)
            {
                case LayerKind.Conv:
                    ops.Always($"d.ConvBackwardWeights({Geometry(n)}, n, {x}, {gy}, {Param(n.Weight)}.Gradient, {BiasGradient(n)});");
                    ops.Gradient(i, $"d.ConvBackwardData({Geometry(n)}, n, {gy}, {Param(n.Weight)}.Value, {gx}, {ops.Acc(i)});");
                    break;
                case LayerKind.Deconv:
                    ops.Always($"d.ConvBackwardWeights({Geometry(n)}, n, {gy}, {x}, {Param(n.Weight)}.Gradient, null);");
                    if (n.Bias >= 0) ops.Always($"d.BiasBackward(n, {n.Shape[0].ToCode()}, {Inner(n)}, {gy}, {BiasGradient(n)});");
                    if (ops.Acc(i) == "false")
                        ops.Gradient(i, $"d.ConvForward({Geometry(n)}, n, {gy}, {Param(n.Weight)}.Value, null, {gx});");
                    else
                    {
                        ops.Gradient(i, $"d.ConvForward({Geometry(n)}, n, {gy}, {Param(n.Weight)}.Value, null, {Scratch}!);");
                        ops.Gradient(i, $"d.Copy({Scratch}!, 0, {gx}, 0, {Count(input)}, true);");
                    }
                    break;
                case LayerKind.MaxPool:
                    ops.Gradient(i, $"d.MaxPoolBackward({Geometry(n)}, n, {gy}, {Switches(n)}!, {gx}, {ops.Acc(i)});");
                    break;
                case LayerKind.AvgPool:
                    ops.Gradient(i, $"d.AvgPoolBackward({Geometry(n)}, n, {gy}, {gx}, {ops.Acc(i)});");
                    break;
                case LayerKind.MaxUnpool:
                    ops.Gradient(i, $"d.MaxUnpoolBackward({Geometry(Node(n.SwitchesOf))}, n, {gy}, {Switches(Node(n.SwitchesOf))}!, {gx}, {ops.Acc(i)});");
                    break;
                case LayerKind.Dense:
                    ops.Always($"d.DenseBackwardWeights({DenseArgs(n)}, {x}, {gy}, {Param(n.Weight)}.Gradient, {BiasGradient(n)});");
                    ops.Gradient(i, $"d.DenseBackwardData({DenseArgs(n)}, {gy}, {Param(n.Weight)}.Value, {gx}, {ops.Acc(i)});");
                    break;
                case LayerKind.Flatten:
                case LayerKind.Reshape:
                    ops.Gradient(i, $"d.Copy({gy}, 0, {gx}, 0, {Count(n)}, {ops.Acc(i)});");
                    break;
                case LayerKind.Permute:
                    ops.Gradient(i, $"d.Permute({Geometry(n, role: "InverseGeometry")}, n, {gy}, {gx}, {ops.Acc(i)});");
                    break;
                case LayerKind.Pad:
                    ops.Gradient(i, $"d.CopyBox({Geometry(n, role: "GradientCopy")}, n, {gy}, {gx}, {ops.Acc(i)});");
                    break;
                case LayerKind.Crop:
                    // Values the crop dropped get no gradient: clear them when this is the first write.
                    if (ops.Acc(i) == "false") ops.Gradient(i, $"d.Fill({gx}, 0, {Count(input)}, 0f);");
                    ops.Gradient(i, $"d.CopyBox({Geometry(n, role: "GradientCopy")}, n, {gy}, {gx}, true);");
                    break;
                case LayerKind.BatchNorm when ChainOf(n) is { } chain:
                {
                    var last = chain.Last;
                    string mask = chain.Dropout is { } drop ? $"{Mask(drop)}!" : "null";
                    // Its input is on the parameter path (ParameterGradientPath), so this runs in both modes.
                    ops.Gradient(i, $"d.BatchNormReluBackward(n, {n.Shape[0].ToCode()}, {Inner(n)}, {x}, {A(last)}, {G(last)}, {mask}, {Param(n.Weight)}.Value, {SavedMean(n)}!, {SavedInvStd(n)}!, {gx}, {Param(n.Weight)}.Gradient, {Param(n.Bias)}.Gradient, {ops.Acc(i)}, {gy});");
                    break;
                }
                case LayerKind.Relu or LayerKind.Dropout when ChainOf(n) is { } chain:
                    ops.Gradient(i, $"// fused into {chain.Norm.Name}'s BatchNormReluBackward below");
                    break;
                case LayerKind.BatchNorm:
                    // Its input is on the parameter path (ParameterGradientPath), so this runs in both modes.
                    ops.Gradient(i, $"d.BatchNormBackward(n, {n.Shape[0].ToCode()}, {Inner(n)}, {x}, {gy}, {Param(n.Weight)}.Value, {SavedMean(n)}!, {SavedInvStd(n)}!, {gx}, {Param(n.Weight)}.Gradient, {Param(n.Bias)}.Gradient, {ops.Acc(i)});");
                    break;
                case LayerKind.Dropout:
                {
                    string acc = ops.Acc(i);
                    ops.Gradient(i, $"if (_forwardTraining) d.Multiply({Count(n)}, {gy}, {Mask(n)}!, {gx}, {acc});");
                    ops.Gradient(i, $"else d.Copy({gy}, 0, {gx}, 0, {Count(n)}, {acc});");
                    break;
                }
                case LayerKind.Softmax:
                case LayerKind.LogSoftmax:
                    ops.Gradient(i, $"d.SoftmaxBackward({(n.Kind == LayerKind.LogSoftmax ? "true" : "false")}, n, {n.Shape[0].ToCode()}, {Inner(n)}, {y}, {gy}, {gx}, {ops.Acc(i)});");
                    break;
                case LayerKind.Add:
                    foreach (int k in n.Inputs)
                        ops.Gradient(k, $"d.Copy({gy}, 0, {G(Node(k))}, 0, {Count(n)}, {ops.Acc(k)});");
                    break;
                case LayerKind.Concat:
                {
                    int position = 0;
                    foreach (var (part, _, _) in ConcatParts(n, Node))
                        ops.Gradient(part.Index, $"d.CopyBox({Geometry(n, role: $"Part{++position}GradientCopy")}, n, {gy}, {G(part)}, {ops.Acc(part.Index)});");
                    break;
                }
                default:
                    ops.Gradient(i, $"d.ActivationBackward({ActivationName(n.Kind)}, {Count(n)}, {x}, {y}, {gy}, {gx}, {ops.Acc(i)}, {Literals.Float(n.P0)}, {Literals.Float(n.P1)});");
                    break;
            }
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
