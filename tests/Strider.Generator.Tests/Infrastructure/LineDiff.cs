namespace Strider.Generator.Tests.Infrastructure;

/// <summary>A shortest line diff: the common prefix and suffix kept, the middle aligned by a longest common subsequence.</summary>
internal static class LineDiff
{
    /// <summary>One line of the diff: ' ' kept, '-' only in the old text, '+' only in the new; each side's 0-based line before it.</summary>
    public readonly record struct Edit(char Kind, string Text, int OldLine, int NewLine);

    /// <summary>Above this many cells the middle is shown as all removed then all added rather than aligned.</summary>
    private const long MaxTable = 25_000_000;

    public static IReadOnlyList<Edit> Compute(string[] a, string[] b)
    {
        int prefix = 0;
        while (prefix < a.Length && prefix < b.Length && a[prefix] == b[prefix]) prefix++;
        int suffix = 0;
        while (suffix < a.Length - prefix && suffix < b.Length - prefix && a[^(suffix + 1)] == b[^(suffix + 1)]) suffix++;

        var edits = new List<Edit>(a.Length + b.Length);
        int i = 0, j = 0;
        void Keep() { edits.Add(new Edit(' ', a[i], i, j)); i++; j++; }
        void Remove() { edits.Add(new Edit('-', a[i], i, j)); i++; }
        void Add() { edits.Add(new Edit('+', b[j], i, j)); j++; }

        while (i < prefix) Keep();
        int n = a.Length - prefix - suffix, m = b.Length - prefix - suffix;
        if ((long)(n + 1) * (m + 1) > MaxTable)
        {
            for (int k = 0; k < n; k++) Remove();
            for (int k = 0; k < m; k++) Add();
        }
        else
        {
            // lcs[x, y]: the longest common subsequence of the middles' tails from x and from y.
            var lcs = new int[n + 1, m + 1];
            for (int x = n - 1; x >= 0; x--)
                for (int y = m - 1; y >= 0; y--)
                    lcs[x, y] = a[prefix + x] == b[prefix + y] ? lcs[x + 1, y + 1] + 1 : Math.Max(lcs[x + 1, y], lcs[x, y + 1]);
            int p = 0, q = 0;
            while (p < n || q < m)
            {
                if (p < n && q < m && a[prefix + p] == b[prefix + q]) { Keep(); p++; q++; }
                // Removals before additions, as diff -u prints a changed block.
                else if (q == m || (p < n && lcs[p + 1, q] >= lcs[p, q + 1])) { Remove(); p++; }
                else { Add(); q++; }
            }
        }
        while (i < a.Length) Keep();
        return edits;
    }
}
