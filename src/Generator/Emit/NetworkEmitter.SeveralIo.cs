using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis.CSharp;
using Strider.Generator.Model;

namespace Strider.Generator.Emit;

/// <summary>
/// Several inputs and several outputs (issue #13): the names of Forward's and Backward's parameters, the fields that keep
/// one tensor view per input and output, and the records <c>&lt;Class&gt;InputGradients</c> and <c>&lt;Class&gt;Outputs</c>.
/// A network with one input and one output never reaches these records, so its code is what it was before.
/// </summary>
internal static partial class NetworkEmitter
{
    /// <summary>The nodes Forward returns, in [Output] order (without [Output], the last layer).</summary>
    private static NodePlan[] OutputNodes(NetworkPlan plan) => Planning.ExecutionPlanner.Outputs(plan).Select(o => plan.Nodes[o]).ToArray();

    private sealed partial class NetworkWriter
    {
        private string[]? _inputParams;
        private string[]? _gradientParams;

        /// <summary>The record Backward returns with several inputs: one input gradient per input.</summary>
        private string InputGradientsRecord => _plan.ClassName + "InputGradients";

        /// <summary>The record Forward returns with several outputs: one tensor per output.</summary>
        private string OutputsRecord => _plan.ClassName + "Outputs";

        /// <summary>Forward's parameter for input <paramref name="i"/>: <c>input</c> for a single input, the input's own name otherwise.</summary>
        private string InputParam(int i)
        {
            if (!SeveralInputs) return "input";
            _inputParams ??= Unclashed(_inputs.Select(x => _names[x.Index]), ForwardLocals());
            return _inputParams[i];
        }

        /// <summary>Backward's gradient parameter for output <paramref name="j"/>: <c>outputGradient</c> for a single output, <c>clsGradient</c> for output 'cls'.</summary>
        private string GradientParam(int j)
        {
            if (!SeveralOutputs) return "outputGradient";
            _gradientParams ??= Unclashed(_outputs.Select(o => _names[o.Index] + "Gradient"), BackwardLocals());
            return _gradientParams[j];
        }

        /// <summary>The field keeping input <paramref name="i"/> of the last Forward (Backward reads it).</summary>
        private static string InputField(int i) => i == 0 ? "_input" : "_input" + i.ToString(CultureInfo.InvariantCulture);

        private static string InputGradientField(int i) => i == 0 ? "_inputGradient" : "_inputGradient" + i.ToString(CultureInfo.InvariantCulture);

        private static string OutputField(int j) => j == 0 ? "_output" : "_output" + j.ToString(CultureInfo.InvariantCulture);

        /// <summary>
        /// The private-copy slot of an argument (<c>NetworkBuffers.Unaliased</c>): 0 for the first input and 1 for the first
        /// output's gradient, as with one of each (2 is ForwardDense's input), then the other inputs, then the other gradients.
        /// </summary>
        private static int InputSlot(int i) => i == 0 ? 0 : 2 + i;

        private int GradientSlot(int j) => j == 0 ? 1 : 2 + _inputs.Length + j;

        /// <summary>An input-gradients record property: the input's member name in PascalCase (<c>image</c> -> <c>Image</c>).</summary>
        private string Property(NodePlan n)
        {
            string name = MemberNames.PascalCase(_names[n.Index]);
            // A record declares these itself; a property of the same name would not compile.
            return name is "EqualityContract" or "Equals" or "GetHashCode" or "ToString" or "Deconstruct" or "PrintMembers" or "GetType"
                || name == InputGradientsRecord || name == OutputsRecord ? name + "Tensor" : name;
        }

        /// <summary>Forward's locals: a parameter named like one gets <c>Input</c> appended.</summary>
        private HashSet<string> ForwardLocals()
        {
            var locals = new HashSet<string>(System.StringComparer.Ordinal) { "call", "n", "d" };
            foreach (var f in _plan.FreeAxes) locals.Add("n" + f.Axis.ToString(CultureInfo.InvariantCulture));
            foreach (var node in _plan.Nodes) locals.Add(A(node));
            return locals;
        }

        private HashSet<string> BackwardLocals()
        {
            var locals = ForwardLocals();
            locals.Add("input");
            locals.Add("inputGradient");
            foreach (var node in _plan.Nodes) locals.Add(_names[node.Index] + "Grad");
            return locals;
        }

        private static string[] Unclashed(IEnumerable<string> names, HashSet<string> taken)
        {
            var result = new List<string>();
            foreach (var name in names)
            {
                string unique = name;
                while (taken.Contains(unique)) unique += "Input";
                taken.Add(unique);
                result.Add(SyntaxFacts.GetKeywordKind(unique) == SyntaxKind.None ? unique : "@" + unique);
            }
            return result.ToArray();
        }

        /// <summary>The tensor views a network with several inputs or outputs keeps: one per input, output and input gradient.</summary>
        private void WriteSeveralFields()
        {
            for (int i = 0; i < _inputs.Length; i++) _w.Line($"private global::Strider.Tensor<{ShapeType(_inputs[i].Shape)}>? {InputField(i)};");
            for (int j = 0; j < _outputs.Length; j++) _w.Line($"private global::Strider.Tensor<{ShapeType(_outputs[j].Shape)}>? {OutputField(j)};");
            for (int i = 0; i < _inputs.Length; i++) _w.Line($"private global::Strider.Tensor<{ShapeType(_inputs[i].Shape)}>? {InputGradientField(i)};");
            if (SeveralInputs) _w.Line($"private {InputGradientsRecord}? _inputGradients;");
            if (SeveralOutputs) _w.Line($"private {OutputsRecord}? _outputs;");
        }

        /// <summary>What Forward returns: the output's tensor, or the record of every output's.</summary>
        private string ForwardReturns => SeveralOutputs ? OutputsRecord : $"global::Strider.Tensor<{_outType}>";

        /// <summary>What Backward returns: the input gradient, or the record of every input's.</summary>
        private string BackwardReturns => SeveralInputs ? InputGradientsRecord : $"global::Strider.Tensor<{_inType}>";

        /// <summary>Forward's parameter list: one typed tensor per input, in declaration order.</summary>
        private string ForwardParameters => string.Join(", ", _inputs.Select((x, i) => $"global::Strider.Tensor<{ShapeType(x.Shape)}> {InputParam(i)}"));

        /// <summary>Backward's parameter list: one gradient per output, nullable when there are several.</summary>
        private string GradientParameters => string.Join(", ", _outputs.Select((o, j) => $"global::Strider.Tensor<{ShapeType(o.Shape)}>{(SeveralOutputs ? "?" : "")} {GradientParam(j)}"));

        private string GradientArguments => string.Join(", ", _outputs.Select((_, j) => GradientParam(j)));

        /// <summary>Sets the output views to the pass's buffers and returns them (one tensor, or the record of all).</summary>
        private void WriteOutputViews()
        {
            for (int j = 0; j < _outputs.Length; j++) WriteView(OutputField(j), _outputs[j], A(_outputs[j]));
            if (!SeveralOutputs)
            {
                _w.Line("return _output;");
                return;
            }
            // The views live as long as the network and are rebound in place, so one record serves every call.
            _w.Line($"return _outputs ??= new {OutputsRecord}({string.Join(", ", _outputs.Select((_, j) => OutputField(j) + "!"))});");
        }

        /// <summary>Sets the input-gradient views to the gradient buffers and returns them (one tensor, or the record of all).</summary>
        private void WriteInputGradientViews()
        {
            for (int i = 0; i < _inputs.Length; i++) WriteView(InputGradientField(i), _inputs[i], GradField(_inputs[i]) + "!");
            if (!SeveralInputs)
            {
                _w.Line("return _inputGradient;");
                return;
            }
            _w.Line($"return _inputGradients ??= new {InputGradientsRecord}({string.Join(", ", _inputs.Select((_, i) => InputGradientField(i) + "!"))});");
        }

        /// <summary>Points the view <paramref name="field"/> at <paramref name="buffer"/> with <paramref name="node"/>'s shape: made on the first call, rebound after.</summary>
        private void WriteView(string field, NodePlan node, string buffer)
        {
            _w.Line($"if ({field} is null) {field} = global::Strider.Tensor<{ShapeType(node.Shape)}>.View({buffer}, n, new int[] {{ {string.Join(", ", node.Shape.Select(s => s.ToCode()))} }});");
            _w.Line($"else {field}.Rebind({buffer}, n, {DimsArray(node)});");
        }

        /// <summary>The records, next to the class (in the same containing types): one tensor per input gradient, one per output.</summary>
        private void WriteRecords()
        {
            if (SeveralInputs)
            {
                _w.Line();
                _w.Line($"/// <summary>The input gradients {Literals.XmlEscape(_plan.ClassName)}.Backward returns, one per input in declaration order (views, valid until the next Backward).</summary>");
                _w.Line(GeneratedCode);
                _w.Line($"{_plan.Accessibility} sealed record {InputGradientsRecord}({string.Join(", ", _inputs.Select(x => $"global::Strider.Tensor<{ShapeType(x.Shape)}> {Property(x)}"))});");
            }
            if (SeveralOutputs)
            {
                _w.Line();
                _w.Line($"/// <summary>The outputs {Literals.XmlEscape(_plan.ClassName)}.Forward returns, one per name in [Output] (views, valid until the next Forward).</summary>");
                _w.Line(GeneratedCode);
                // The planner checked these names (STR0022): distinct, and none a record's own member.
                _w.Line($"{_plan.Accessibility} sealed record {OutputsRecord}({string.Join(", ", _outputs.Select(o => $"global::Strider.Tensor<{ShapeType(o.Shape)}> {Planning.NetworkPlanner.OutputProperty(o.Name)}"))});");
            }
        }
    }
}
