using I4C.Protocol.V1;

namespace I4C.Node.Tests.Infrastructure;

/// <summary>Ready-made Admin requests, so a test states only what matters to it.</summary>
public static class Requests
{
    public static PublishRequest Advisory(string title = "Phishing wave against city payroll", string body = "Mails spoofing the payroll office ask staff to log in.", Tlp tlp = Tlp.Green, params Indicator[] indicators)
    {
        var request = new PublishRequest { Tlp = tlp, Advisory = new Advisory { Title = title, Body = body } };
        request.Advisory.Indicators.AddRange(indicators);
        return request;
    }

    public static PublishRequest Incident(string title = "Ransomware in the parking system", string body = "Pay stations encrypted overnight.", Tlp tlp = Tlp.Amber) =>
        new()
        {
            Tlp = tlp,
            Incident = new Incident { Title = title, Body = body, Impact = "No paid parking for six hours.", Stage = IncidentStage.EarlyWarning },
        };

    public static PublishRequest Practice(string title = "Offline backups for SCADA", string body = "Keep a weekly offline copy.", Tlp tlp = Tlp.Clear) =>
        new()
        {
            Tlp = tlp,
            Practice = new Practice { Title = title, Body = body, Type = PracticeType.GoodPractice },
        };

    public static Indicator Indicator(string type, string value) => new() { Type = type, Value = value, ToIds = true };
}
