using System.Collections.Generic;

namespace Strider.Generator.Emit;

/// <summary>
/// Backward's op lines in order. A line that only writes a gradient off the parameter path waits, with its neighbours
/// of the same kind, to be written under one <c>if (inputGradient)</c>.
/// </summary>
internal sealed class BackwardOps(IndentedWriter writer, bool[] parameterPath)
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
