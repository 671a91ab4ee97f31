using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace Strider.Generator.Emit;

/// <summary>
/// The C# names generated code gives each layer's members, derived from the layer names so that inserting a layer
/// leaves every other layer's names alone. The rule, for a layer name (a PyTorch module path: identifiers and whole
/// numbers separated by dots, as the planner checks):
/// <list type="number">
/// <item>split it at '.' into segments and each segment at '_' into words; drop empty words; in each segment lowercase
/// the first word's first letter, uppercase every later word's first letter, and join the words; drop empty segments and
/// join the rest with '_' (<c>conv1</c> -> <c>conv1</c>, <c>Block2_conv</c> -> <c>block2Conv</c>,
/// <c>layer1.0.conv1</c> -> <c>layer1_0_conv1</c>);</item>
/// <item>a result that is empty or starts with a digit gets <c>layer</c> in front (<c>_3x3</c> -> <c>layer3x3</c>,
/// <c>0.1</c> -> <c>layer0_1</c>);</item>
/// <item>a name equal ignoring case to an earlier layer's gets <c>_2</c>, <c>_3</c>... in declaration order: the first
/// number whose result is no other layer's name by rules 1 and 2, so a layer whose name is unique keeps it whatever
/// else the network declares.</item>
/// </list>
/// Members are that camelCase name plus a role: fields <c>_conv1Out</c>, <c>_conv1Grad</c>, locals <c>conv1Out</c>,
/// static geometry <c>Conv1Geometry</c>. Roles are suffixes, so no member name is a C# keyword. Every such member is
/// private, so two layer names that meet under rules 1 and 2 (<c>conv1</c> and <c>Conv1</c>, both valid PyTorch names)
/// are numbered, never refused.
/// </summary>
internal static class MemberNames
{
    /// <summary>One camelCase name per layer name, in the same order, unique ignoring case.</summary>
    public static string[] Derive(IReadOnlyList<string> layerNames)
    {
        var derived = layerNames.Select(CamelCase).ToArray();
        // Numbering skips every derived name, so that 'a' declared twice never takes the name of a later 'a.2' (a_2).
        var taken = new HashSet<string>(derived, System.StringComparer.OrdinalIgnoreCase);
        var used = new HashSet<string>(System.StringComparer.OrdinalIgnoreCase);
        var result = new string[derived.Length];
        for (int i = 0; i < result.Length; i++)
        {
            string name = derived[i];
            if (!used.Add(name))
            {
                string numbered;
                int k = 1;
                do numbered = name + "_" + (++k).ToString(CultureInfo.InvariantCulture);
                while (taken.Contains(numbered) || !used.Add(numbered));
                name = numbered;
            }
            result[i] = name;
        }
        return result;
    }

    /// <summary>Rules 1 and 2 of the class comment: one layer name as a camelCase identifier.</summary>
    public static string CamelCase(string layerName)
    {
        var segments = new List<string>();
        foreach (var segment in layerName.Split('.'))
        {
            var words = new StringBuilder();
            foreach (var word in segment.Split('_'))
            {
                if (word.Length == 0) continue;
                char first = words.Length == 0 ? char.ToLowerInvariant(word[0]) : char.ToUpperInvariant(word[0]);
                words.Append(first).Append(word, 1, word.Length - 1);
            }
            if (words.Length > 0) segments.Add(words.ToString());
        }
        var text = new StringBuilder(string.Join("_", segments));
        if (text.Length == 0 || char.IsDigit(text[0]))
        {
            if (text.Length > 0) text[0] = char.ToUpperInvariant(text[0]);
            text.Insert(0, "layer");
        }
        return text.ToString();
    }

    /// <summary>The camelCase name with its first letter uppercased, for static members (<c>Conv1Geometry</c>).</summary>
    public static string PascalCase(string camel) => char.ToUpperInvariant(camel[0]) + camel.Substring(1);
}
