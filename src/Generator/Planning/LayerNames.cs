namespace Strider.Generator.Planning;

/// <summary>
/// The rule for layer names: a PyTorch module path, so that parameter names (<c>layer1.0.conv1.weight</c>) are the
/// ones a torchvision <c>state_dict</c> holds. Segments are separated by single dots; each is a plain identifier
/// (a letter or '_', then letters, digits or '_') or a whole number without leading zeros, as PyTorch numbers the
/// children of a Sequential (<c>features.3.conv.0.1</c>, or just <c>0</c>).
/// </summary>
internal static class LayerNames
{
    /// <summary>Why <paramref name="name"/> breaks the rule, as the end of a sentence, or null when it is a valid name.</summary>
    public static string? Problem(string name)
    {
        const string Example = "segments are identifiers or whole numbers separated by single dots, as in 'layer1.0.conv1'";
        if (name.Length == 0) return $"the name is empty; {Example}";
        if (name[0] == '.') return $"the name '{name}' starts with a '.'; {Example}";
        if (name[name.Length - 1] == '.') return $"the name '{name}' ends with a '.'; {Example}";
        var segments = name.Split('.');
        foreach (var segment in segments)
        {
            if (segment.Length == 0) return $"the name '{name}' has an empty segment ('..'); {Example}";
            foreach (char c in segment)
                if (!(char.IsLetterOrDigit(c) || c == '_'))
                    return $"the segment '{segment}' of '{name}' holds '{c}', which is not a letter, digit or '_'; " + Example;
            if (!char.IsDigit(segment[0])) continue;
            foreach (char c in segment)
                if (!(c >= '0' && c <= '9'))
                    return $"the segment '{segment}' of '{name}' starts with a digit but is not a whole number; start it with a letter or '_', or write a number such as '0'";
            if (segment.Length > 1 && segment[0] == '0')
                return $"the segment '{segment}' of '{name}' has a leading zero; PyTorch numbers children 0, 1, 2..., so write '{segment.TrimStart('0').PadLeft(1, '0')}'";
        }
        return null;
    }

    /// <summary>A plain identifier (one segment, not a number): what an input name must be.</summary>
    public static bool IsPlainIdentifier(string s)
    {
        if (s.Length == 0 || char.IsDigit(s[0])) return false;
        foreach (char c in s) if (!(char.IsLetterOrDigit(c) || c == '_')) return false;
        return true;
    }
}
