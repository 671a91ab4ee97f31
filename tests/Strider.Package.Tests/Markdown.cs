using System.Text.RegularExpressions;

namespace Strider.Package.Tests;

/// <summary>The little of Markdown the package tests read: fenced code blocks and link targets.</summary>
public static partial class Markdown
{
    /// <summary>The body of the first ```csharp fenced block, without the fences.</summary>
    public static string FirstCSharpBlock(string markdown)
    {
        var match = CSharpBlock().Match(markdown.ReplaceLineEndings("\n"));
        if (!match.Success) throw new InvalidDataException("The document has no ```csharp code block.");
        return match.Groups["code"].Value;
    }

    /// <summary>The bodies of the ```csharp fenced blocks under the level-2 heading <paramref name="heading"/>, up to the next one.</summary>
    public static IReadOnlyList<string> CSharpBlocksUnder(string markdown, string heading)
    {
        string text = markdown.ReplaceLineEndings("\n");
        int start = text.IndexOf("\n## " + heading + "\n", StringComparison.Ordinal);
        if (start < 0) throw new InvalidDataException($"The document has no '## {heading}' section.");
        int end = text.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        string section = end < 0 ? text[start..] : text[start..end];
        return CSharpBlock().Matches(section).Select(m => m.Groups["code"].Value).ToList();
    }

    /// <summary>Every link and image target, inline ([text](target)) and reference-style ([id]: target), outside code.</summary>
    public static IEnumerable<string> LinkTargets(string markdown)
    {
        string prose = Fence().Replace(markdown.ReplaceLineEndings("\n"), "");
        prose = InlineCode().Replace(prose, "");
        foreach (Match m in InlineLink().Matches(prose)) yield return m.Groups["target"].Value;
        foreach (Match m in ReferenceLink().Matches(prose)) yield return m.Groups["target"].Value;
    }

    [GeneratedRegex(@"^```csharp\n(?<code>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();

    [GeneratedRegex(@"^```.*?^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex Fence();

    [GeneratedRegex(@"`[^`\n]*`")]
    private static partial Regex InlineCode();

    [GeneratedRegex(@"\]\((?<target>[^)\s]+)(\s+""[^""]*"")?\)")]
    private static partial Regex InlineLink();

    [GeneratedRegex(@"^\s{0,3}\[[^\]]+\]:\s*(?<target>\S+)", RegexOptions.Multiline)]
    private static partial Regex ReferenceLink();
}
