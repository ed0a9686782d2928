namespace Wharf.Bench;

/// <summary>Collects figures per registry and prints them side by side with the Wharf/distribution ratio.</summary>
public sealed class Results
{
    private readonly Dictionary<string, Dictionary<string, List<double>>> _figures = new();

    public void Add(string registry, string metric, double value)
    {
        if (!_figures.TryGetValue(metric, out var byRegistry)) _figures[metric] = byRegistry = new();
        if (!byRegistry.TryGetValue(registry, out var values)) byRegistry[registry] = values = new();
        values.Add(value);
    }

    public void Print(long imageBytes, string footer)
    {
        Console.WriteLine($"{"metric",-38} {"wharf",12} {"distribution",14} {"wharf/dist",11}");
        foreach (var (metric, byRegistry) in _figures)
        {
            // Times: the median of the rounds; rates: the single measurement.
            double Median(string r) => byRegistry.TryGetValue(r, out var v) ? v.Order().ElementAt(v.Count / 2) : double.NaN;
            var w = Median("wharf");
            var d = Median("distribution");
            Console.WriteLine($"{metric,-38} {w,12:F2} {d,14:F2} {w / d,11:F2}");
        }
        Console.WriteLine(footer);
        Console.WriteLine("(times: lower is better; rates: higher is better; each image is " + (imageBytes >> 20) + " MiB in 5 layers)");
    }
}
