namespace Wharf.Registry.Browse;

/// <summary>
/// Pairs an image config's history with its layers: every history entry that is not an <c>empty_layer</c> made the
/// next layer, in order (the rule the OCI image spec gives for <c>history</c>).
/// </summary>
public static class BuildSteps
{
    public static IReadOnlyList<BuildStep> Pair(IReadOnlyList<HistoryEntry> history, IReadOnlyList<LayerInfo> layers)
    {
        var steps = new List<BuildStep>(Math.Max(history.Count, layers.Count));
        var next = 0;
        foreach (var entry in history)
        {
            if (entry.EmptyLayer || next >= layers.Count) steps.Add(new BuildStep(entry, null));
            else steps.Add(new BuildStep(entry, layers[next++]));
        }
        for (; next < layers.Count; next++) steps.Add(new BuildStep(null, layers[next]));
        return steps;
    }
}
