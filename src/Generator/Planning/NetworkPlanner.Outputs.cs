using System.Collections.Generic;
using System.Linq;
using Strider.Generator.Diagnostics;
using Strider.Generator.Emit;
using Strider.Generator.Model;

namespace Strider.Generator.Planning;

/// <summary>
/// [Output]: its names checked (STR0022), the plan's output nodes, and the layers whose results reach none of them
/// (STR0023, with what the code fixes need).
/// </summary>
internal sealed partial class NetworkPlanner
{
    /// <summary>Members every record has (or inherits): an output property of that name would not compile.</summary>
    private static readonly HashSet<string> s_recordMembers = new(System.StringComparer.Ordinal)
    {
        "Equals", "GetHashCode", "ToString", "GetType", "MemberwiseClone", "Finalize", "ReferenceEquals", "Deconstruct",
        "EqualityContract", "PrintMembers",
    };

    /// <summary>The C# property of the outputs record that holds the output <paramref name="name"/>: the layer name in PascalCase (<c>cls</c> -> <c>Cls</c>, <c>box_head</c> -> <c>BoxHead</c>).</summary>
    internal static string OutputProperty(string name) => MemberNames.PascalCase(MemberNames.CamelCase(name));

    /// <summary>The generated record that holds several outputs (<c>DetectorOutputs</c>); an output property may not have its name.</summary>
    internal static string OutputsRecord(string className) => className + "Outputs";

    /// <summary>STR0022 on each [Output] name that is empty, unknown, an input, repeated or a property that cannot be declared.</summary>
    private void CheckOutputs()
    {
        if (_spec.Output is not { } output) return;
        if (output.Names.Count == 0)
        {
            Report("STR0022", output.SpanOf(""), _spec.ClassName,
                "[Output] names no layer; name at least one, e.g. [Output(\"" + LastLayerName() + "\")], or remove [Output] to return the last layer");
            return;
        }
        var properties = new Dictionary<string, string>(System.StringComparer.Ordinal);
        var seen = new HashSet<string>(System.StringComparer.Ordinal);
        for (int i = 0; i < output.Names.Count; i++)
        {
            string name = output.Names[i];
            var span = output.SpanOf(i.ToString(Inv));
            if (name.Length == 0)
            {
                Report("STR0022", span, _spec.ClassName, $"output {i + 1} of [Output] is null or empty; name a layer, e.g. \"{LastLayerName()}\"");
                continue;
            }
            if (!seen.Add(name))
            {
                Report("STR0022", span, _spec.ClassName, $"[Output] names '{name}' twice; list each output once");
                continue;
            }
            if (!_byName.TryGetValue(name, out int index))
            {
                // A layer of that name that failed has its own error already.
                if (!_nodes.Any(n => n.Name == name))
                    Report("STR0022", span, _spec.ClassName, $"[Output] names '{name}', which no layer has; {Nearest(name)}");
                continue;
            }
            if (_nodes[index].Kind == LayerKind.Input)
            {
                Report("STR0022", span, _spec.ClassName,
                    $"[Output] names the input '{name}'; an output must be a layer (the caller holds the input already, and returning it would hand back the caller's own tensor), so name a layer such as '{LastLayerName()}'");
                continue;
            }
            string property = OutputProperty(name);
            if (s_recordMembers.Contains(property) || property == OutputsRecord(_spec.ClassName))
            {
                Report("STR0022", span, _spec.ClassName,
                    $"the output '{name}' would be the property '{property}' of the generated record {OutputsRecord(_spec.ClassName)}, which " +
                    (property == OutputsRecord(_spec.ClassName) ? "is the record's own name" : "every record has already") + $"; rename the layer (Name = \"...\")");
                continue;
            }
            if (properties.TryGetValue(property, out string? other))
            {
                Report("STR0022", span, _spec.ClassName,
                    $"the outputs '{other}' and '{name}' would both be the property '{property}' of the generated record {OutputsRecord(_spec.ClassName)} (names become PascalCase); rename one of the layers");
                continue;
            }
            properties[property] = name;
        }
    }

    /// <summary>The last layer's name (the output without [Output]), or the input's when there are no layers.</summary>
    private string LastLayerName() => _nodes.Count > 0 ? _nodes[_nodes.Count - 1].Name : "output";

    /// <summary>The known layer names closest to a misspelt one (edit distance), or every layer name when none is close.</summary>
    private string Nearest(string name)
    {
        var layers = _nodes.Where(n => n.Kind != LayerKind.Input && _byName.ContainsKey(n.Name)).Select(n => n.Name).ToList();
        if (layers.Count == 0) return "the network has no layers";
        int limit = 1 + name.Length / 3;
        var close = layers.Select(l => (Name: l, Distance: EditDistance(name.ToLowerInvariant(), l.ToLowerInvariant())))
            .Where(c => c.Distance <= limit).OrderBy(c => c.Distance).Take(3).Select(c => "'" + c.Name + "'").ToList();
        if (close.Count > 0) return "did you mean " + string.Join(" or ", close) + "?";
        const int shown = 12;
        return "the layers are " + string.Join(", ", layers.Take(shown).Select(l => "'" + l + "'")) + (layers.Count > shown ? ", ..." : "");
    }

    private static int EditDistance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int above = row[j];
                row[j] = System.Math.Min(System.Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.Length];
    }

    /// <summary>
    /// The plan with its output nodes ([Output] order, or the last node), and STR0023 on every layer whose result
    /// reaches none of them through inputs, MaxUnpool switches or tied weights.
    /// </summary>
    private NetworkPlan WithOutputs(NetworkPlan plan)
    {
        var outputs = _spec.Output is { } output ? output.Names.Select(n => _byName[n]).ToArray() : new[] { plan.Nodes.Count - 1 };
        var reached = new bool[_nodes.Count];
        var pending = new Stack<int>(outputs);
        while (pending.Count > 0)
        {
            int k = pending.Pop();
            if (reached[k]) continue;
            reached[k] = true;
            var node = _nodes[k];
            foreach (int i in node.Inputs) pending.Push(i);
            if (node.SwitchesOf >= 0) pending.Push(node.SwitchesOf);
            if (node.Layer?.TiedTo is { } tied && _byName.TryGetValue(tied, out int conv)) pending.Push(conv);
        }
        // A dead layer that another dead layer reads: adding the reader to [Output] reaches it too (fix all adds only the ends).
        var feedsDead = new bool[_nodes.Count];
        foreach (var node in _nodes)
            if (!reached[node.Index])
                foreach (int i in node.Inputs) feedsDead[i] = true;
        foreach (var node in _nodes)
        {
            if (reached[node.Index] || node.Layer is not { } layer) continue;
            ReportWith(UnreachableProperties(node.Name, outputs, feedsDead[node.Index]), "STR0023", layer.SpanOf(""), node.Name, _spec.ClassName);
        }
        return plan with { Outputs = outputs };
    }

    /// <summary>
    /// The layer's name, and the [Output] names with it added when that is a valid [Output] (its property is free), for
    /// the "add it to [Output]" fix; without [Output] the list starts with the last layer, today's output.
    /// </summary>
    private EquatableArray<DiagnosticProperty> UnreachableProperties(string name, int[] outputs, bool feedsDead)
    {
        var result = new List<DiagnosticProperty> { new(OutputProperties.Layer, name) };
        if (feedsDead) result.Add(new DiagnosticProperty(OutputProperties.FeedsUnreachable, "true"));
        var names = outputs.Select(o => _nodes[o].Name).Append(name).ToList();
        var properties = names.Select(OutputProperty).ToList();
        bool addable = _nodes[outputs[0]].Kind != LayerKind.Input && properties.Distinct().Count() == properties.Count
            && properties.All(p => !s_recordMembers.Contains(p) && p != OutputsRecord(_spec.ClassName));
        if (addable) result.Add(new DiagnosticProperty(OutputProperties.Outputs, string.Join(",", names)));
        return new EquatableArray<DiagnosticProperty>(result);
    }
}
