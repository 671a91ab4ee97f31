using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Strider.Generator.Emit;

/// <summary>
/// The C# names generated code gives each layer's members, derived from the layer names so that inserting a layer
/// leaves every other layer's names alone. The rule, for a layer name (letters, digits and '_', as the planner checks):
/// <list type="number">
/// <item>split it at '_' into words, drop empty words, lowercase the first word's first letter, uppercase every later
/// word's first letter, and join (<c>conv1</c> -> <c>conv1</c>, <c>Block2_conv</c> -> <c>block2Conv</c>);</item>
/// <item>a result that is empty or starts with a digit gets <c>layer</c> in front (<c>_3x3</c> -> <c>layer3x3</c>);</item>
/// <item>in declaration order, a name equal to an earlier one ignoring case gets <c>_2</c>, <c>_3</c>... (the first
/// free one): derived names never contain '_', so these never meet another layer's name.</item>
/// </list>
/// Members are that camelCase name plus a role: fields <c>_conv1Out</c>, <c>_conv1Grad</c>, locals <c>conv1Out</c>,
/// static geometry <c>Conv1Geometry</c>. Roles are suffixes, so no member name is a C# keyword.
/// </summary>
internal static class MemberNames
{
    /// <summary>One camelCase name per layer name, in the same order, unique ignoring case.</summary>
    public static string[] Derive(IReadOnlyList<string> layerNames)
    {
        var result = new string[layerNames.Count];
        var used = new HashSet<string>(System.StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < result.Length; i++)
        {
            string name = CamelCase(layerNames[i]);
            if (!used.Add(name))
            {
                int k = 2;
                while (!used.Add(name + "_" + k.ToString(CultureInfo.InvariantCulture))) k++;
                name += "_" + k.ToString(CultureInfo.InvariantCulture);
            }
            result[i] = name;
        }
        return result;
    }

    /// <summary>Rules 1 and 2 of the class comment: one layer name as a camelCase identifier.</summary>
    public static string CamelCase(string layerName)
    {
        var text = new StringBuilder();
        foreach (var word in layerName.Split('_'))
        {
            if (word.Length == 0) continue;
            char first = text.Length == 0 ? char.ToLowerInvariant(word[0]) : char.ToUpperInvariant(word[0]);
            text.Append(first).Append(word, 1, word.Length - 1);
        }
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
