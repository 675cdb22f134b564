package domain

// The catalog kinds of SPEC section 5. Each kind is its unique name plus the
// YAML `spec` embedded, so the importer decodes `spec` straight into it and
// storage keys documents by name (`_id`), the only fast lookup on the
// embedded store. Struct tags are plain strings: the domain imports nothing.

// Kind names as they appear in YAML.
const (
	KindPerson    = "Person"
	KindPortfolio = "Portfolio"
	KindBoard     = "Board"
	KindTollgate  = "Tollgate"
	KindService   = "Service"
)

// Kinds lists the catalog kinds in dependency order (referenced kinds first).
var Kinds = []string{KindPerson, KindPortfolio, KindBoard, KindTollgate, KindService}

// Person is someone who owns, manages or approves.
type Person struct {
	Name        string            `yaml:"-" bson:"_id" json:"name"`
	Annotations map[string]string `yaml:"-" bson:"annotations,omitempty" json:"annotations,omitempty"`
	PersonSpec  `yaml:",inline" bson:",inline" json:",inline"`
}

// PersonSpec is the spec of a Person document.
type PersonSpec struct {
	DisplayName string `yaml:"displayName,omitempty" bson:"displayName,omitempty" json:"displayName,omitempty"`
	Email       string `yaml:"email,omitempty" bson:"email,omitempty" json:"email,omitempty"`
	SlackUser   string `yaml:"slackUser,omitempty" bson:"slackUser,omitempty" json:"slackUser,omitempty"`
}

// Label is the person's display name, or the name when there is none.
func (p Person) Label() string {
	if p.DisplayName != "" {
		return p.DisplayName
	}
	return p.Name
}

// Portfolio groups services under a manager.
type Portfolio struct {
	Name          string            `yaml:"-" bson:"_id" json:"name"`
	Annotations   map[string]string `yaml:"-" bson:"annotations,omitempty" json:"annotations,omitempty"`
	PortfolioSpec `yaml:",inline" bson:",inline" json:",inline"`
}

// PortfolioSpec is the spec of a Portfolio document.
type PortfolioSpec struct {
	Title   string `yaml:"title,omitempty" bson:"title,omitempty" json:"title,omitempty"`
	Manager string `yaml:"manager,omitempty" bson:"manager,omitempty" json:"manager,omitempty"`
	Channel string `yaml:"channel,omitempty" bson:"channel,omitempty" json:"channel,omitempty"`
}

// Board is a governance forum that approves tollgates, or a team that owns
// services (Backstage Groups are imported as boards): a service's owner
// names a person or a board, and every member of an owning board acts as
// its owner.
type Board struct {
	Name        string            `yaml:"-" bson:"_id" json:"name"`
	Annotations map[string]string `yaml:"-" bson:"annotations,omitempty" json:"annotations,omitempty"`
	BoardSpec   `yaml:",inline" bson:",inline" json:",inline"`
}

// BoardSpec is the spec of a Board document.
type BoardSpec struct {
	Title   string   `yaml:"title,omitempty" bson:"title,omitempty" json:"title,omitempty"`
	Members []string `yaml:"members,omitempty" bson:"members,omitempty" json:"members,omitempty"`
	Channel string   `yaml:"channel,omitempty" bson:"channel,omitempty" json:"channel,omitempty"`
}

// IsMember reports whether the person is on the board.
func (b Board) IsMember(person string) bool {
	for _, m := range b.Members {
		if m == person {
			return true
		}
	}
	return false
}

// Tollgate is the gate a service passes to enter stage To from stage From.
type Tollgate struct {
	Name         string `yaml:"-" bson:"_id" json:"name"`
	TollgateSpec `yaml:",inline" bson:",inline" json:",inline"`
}

// TollgateSpec is the spec of a Tollgate document.
type TollgateSpec struct {
	From     Stage    `yaml:"from,omitempty" bson:"from,omitempty" json:"from,omitempty"`
	To       Stage    `yaml:"to,omitempty" bson:"to,omitempty" json:"to,omitempty"`
	Board    string   `yaml:"board,omitempty" bson:"board,omitempty" json:"board,omitempty"`
	Quorum   int      `yaml:"quorum,omitempty" bson:"quorum,omitempty" json:"quorum,omitempty"`
	Criteria []string `yaml:"criteria,omitempty" bson:"criteria,omitempty" json:"criteria,omitempty"`
}

// Service is an IT service in the catalog.
type Service struct {
	Name        string            `yaml:"-" bson:"_id" json:"name"`
	Title       string            `yaml:"-" bson:"title,omitempty" json:"title,omitempty"`
	Aliases     []string          `yaml:"-" bson:"aliases,omitempty" json:"aliases,omitempty"`
	Tags        []string          `yaml:"-" bson:"tags,omitempty" json:"tags,omitempty"`
	Annotations map[string]string `yaml:"-" bson:"annotations,omitempty" json:"annotations,omitempty"`
	ServiceSpec `yaml:",inline" bson:",inline" json:",inline"`
}

// Label is the service's title, or its name when it has none.
func (s *Service) Label() string {
	if s.Title != "" {
		return s.Title
	}
	return s.Name
}

// ServiceSpec is the spec of a Service document.
type ServiceSpec struct {
	Description    string          `yaml:"description,omitempty" bson:"description,omitempty" json:"description,omitempty"`
	Portfolio      string          `yaml:"portfolio,omitempty" bson:"portfolio,omitempty" json:"portfolio,omitempty"`
	Owner          string          `yaml:"owner,omitempty" bson:"owner,omitempty" json:"owner,omitempty"`
	Stage          Stage           `yaml:"stage,omitempty" bson:"stage,omitempty" json:"stage,omitempty"`
	Tier           int             `yaml:"tier,omitempty" bson:"tier,omitempty" json:"tier,omitempty"`
	Channel        string          `yaml:"channel,omitempty" bson:"channel,omitempty" json:"channel,omitempty"`
	DependsOn      []string        `yaml:"dependsOn,omitempty" bson:"dependsOn,omitempty" json:"dependsOn,omitempty"`
	Strategy       *Strategy       `yaml:"strategy,omitempty" bson:"strategy,omitempty" json:"strategy,omitempty"`
	VendorProducts []VendorProduct `yaml:"vendorProducts,omitempty" bson:"vendorProducts,omitempty" json:"vendorProducts,omitempty"`
	Cost           *Cost           `yaml:"cost,omitempty" bson:"cost,omitempty" json:"cost,omitempty"`
	SLA            []SLATarget     `yaml:"sla,omitempty" bson:"sla,omitempty" json:"sla,omitempty"`
	Performance    *Performance    `yaml:"performance,omitempty" bson:"performance,omitempty" json:"performance,omitempty"`
	Roadmap        []RoadmapItem   `yaml:"roadmap,omitempty" bson:"roadmap,omitempty" json:"roadmap,omitempty"`
	Continuity     *Continuity     `yaml:"continuity,omitempty" bson:"continuity,omitempty" json:"continuity,omitempty"`
	Improvements   []Improvement   `yaml:"improvements,omitempty" bson:"improvements,omitempty" json:"improvements,omitempty"`
}

// Strategy says why the service exists.
type Strategy struct {
	Why           string `yaml:"why,omitempty" bson:"why,omitempty" json:"why,omitempty"`
	AvailableFrom Date   `yaml:"availableFrom,omitempty" bson:"availableFrom,omitempty" json:"availableFrom,omitempty"`
}

// VendorProduct is a bought product the service runs on.
type VendorProduct struct {
	Vendor       string  `yaml:"vendor,omitempty" bson:"vendor,omitempty" json:"vendor,omitempty"`
	Product      string  `yaml:"product,omitempty" bson:"product,omitempty" json:"product,omitempty"`
	ContractEnds Date    `yaml:"contractEnds,omitempty" bson:"contractEnds,omitempty" json:"contractEnds,omitempty"`
	AnnualCost   float64 `yaml:"annualCost,omitempty" bson:"annualCost,omitempty" json:"annualCost,omitempty"`
}

// Charging models.
var ChargingModels = []string{"none", "showback", "fixed", "per-user", "per-transaction", "tiered"}

// Cost is the service's financial model; amounts are annual unless named monthly.
type Cost struct {
	Currency      string      `yaml:"currency,omitempty" bson:"currency,omitempty" json:"currency,omitempty"`
	ChargingModel string      `yaml:"chargingModel,omitempty" bson:"chargingModel,omitempty" json:"chargingModel,omitempty"`
	UnitPrice     float64     `yaml:"unitPrice,omitempty" bson:"unitPrice,omitempty" json:"unitPrice,omitempty"`
	TCO           TCO         `yaml:"tco,omitempty" bson:"tco,omitempty" json:"tco,omitempty"`
	Recovered     float64     `yaml:"recovered,omitempty" bson:"recovered,omitempty" json:"recovered,omitempty"`
	Monthly       []MonthCost `yaml:"monthly,omitempty" bson:"monthly,omitempty" json:"monthly,omitempty"`
}

// TCO is the annual total cost of ownership by category.
type TCO struct {
	Licenses       float64 `yaml:"licenses,omitempty" bson:"licenses,omitempty" json:"licenses,omitempty"`
	Infrastructure float64 `yaml:"infrastructure,omitempty" bson:"infrastructure,omitempty" json:"infrastructure,omitempty"`
	Labor          float64 `yaml:"labor,omitempty" bson:"labor,omitempty" json:"labor,omitempty"`
	Support        float64 `yaml:"support,omitempty" bson:"support,omitempty" json:"support,omitempty"`
}

// MonthCost is one month's budget and actual spend.
type MonthCost struct {
	Month  Month   `yaml:"month,omitempty" bson:"month,omitempty" json:"month,omitempty"`
	Budget float64 `yaml:"budget,omitempty" bson:"budget,omitempty" json:"budget,omitempty"`
	Actual float64 `yaml:"actual,omitempty" bson:"actual,omitempty" json:"actual,omitempty"`
}

// SLATarget is a KPI target agreed with the business.
type SLATarget struct {
	KPI        string  `yaml:"kpi,omitempty" bson:"kpi,omitempty" json:"kpi,omitempty"`
	Target     float64 `yaml:"target,omitempty" bson:"target,omitempty" json:"target,omitempty"`
	Unit       string  `yaml:"unit,omitempty" bson:"unit,omitempty" json:"unit,omitempty"`
	BetterWhen string  `yaml:"betterWhen,omitempty" bson:"betterWhen,omitempty" json:"betterWhen,omitempty"` // higher (default) | lower
	// Query is PromQL giving the KPI's value at one instant; job sli-sync
	// averages it over each month (see sli.go).
	Query string `yaml:"query,omitempty" bson:"query,omitempty" json:"query,omitempty"`
}

// Performance holds the review cadence and KPI measurements.
type Performance struct {
	ReviewEvery  Period        `yaml:"reviewEvery,omitempty" bson:"reviewEvery,omitempty" json:"reviewEvery,omitempty"`
	LastReview   Date          `yaml:"lastReview,omitempty" bson:"lastReview,omitempty" json:"lastReview,omitempty"`
	Measurements []Measurement `yaml:"measurements,omitempty" bson:"measurements,omitempty" json:"measurements,omitempty"`
}

// Measurement is one KPI value for one month.
type Measurement struct {
	KPI   string  `yaml:"kpi,omitempty" bson:"kpi,omitempty" json:"kpi,omitempty"`
	Month Month   `yaml:"month,omitempty" bson:"month,omitempty" json:"month,omitempty"`
	Value float64 `yaml:"value" bson:"value" json:"value"`
	// Source is where the value came from: typed (empty) or prometheus.
	Source string `yaml:"source,omitempty" bson:"source,omitempty" json:"source,omitempty"`
}

// Roadmap and improvement statuses.
var ItemStatuses = []string{"planned", "in-progress", "done", "blocked"}

// RoadmapItem is a planned change to the service.
type RoadmapItem struct {
	Title  string  `yaml:"title,omitempty" bson:"title,omitempty" json:"title,omitempty"`
	Due    Date    `yaml:"due,omitempty" bson:"due,omitempty" json:"due,omitempty"`
	Status string  `yaml:"status,omitempty" bson:"status,omitempty" json:"status,omitempty"`
	Cost   float64 `yaml:"cost,omitempty" bson:"cost,omitempty" json:"cost,omitempty"`
}

// Continuity is the service's disaster-recovery plan and test record.
type Continuity struct {
	RTO       string  `yaml:"rto,omitempty" bson:"rto,omitempty" json:"rto,omitempty"`
	RPO       string  `yaml:"rpo,omitempty" bson:"rpo,omitempty" json:"rpo,omitempty"`
	Plan      string  `yaml:"plan,omitempty" bson:"plan,omitempty" json:"plan,omitempty"`
	TestEvery Period  `yaml:"testEvery,omitempty" bson:"testEvery,omitempty" json:"testEvery,omitempty"`
	LastTest  *DRTest `yaml:"lastTest,omitempty" bson:"lastTest,omitempty" json:"lastTest,omitempty"`
}

// DR test results.
var DRResults = []string{"pass", "partial", "fail"}

// DRTest is the outcome of a disaster-recovery test.
type DRTest struct {
	Date       Date   `yaml:"date,omitempty" bson:"date,omitempty" json:"date,omitempty"`
	Result     string `yaml:"result,omitempty" bson:"result,omitempty" json:"result,omitempty"`
	Notes      string `yaml:"notes,omitempty" bson:"notes,omitempty" json:"notes,omitempty"`
	RecordedBy string `yaml:"recordedBy,omitempty" bson:"recordedBy,omitempty" json:"recordedBy,omitempty"`
}

// Improvement is a continual-improvement item.
type Improvement struct {
	Title  string `yaml:"title,omitempty" bson:"title,omitempty" json:"title,omitempty"`
	Status string `yaml:"status,omitempty" bson:"status,omitempty" json:"status,omitempty"`
	Due    Date   `yaml:"due,omitempty" bson:"due,omitempty" json:"due,omitempty"`
	Owner  string `yaml:"owner,omitempty" bson:"owner,omitempty" json:"owner,omitempty"`
}

// Catalog is a whole set of documents, as imported or exported.
type Catalog struct {
	People     []Person
	Portfolios []Portfolio
	Boards     []Board
	Tollgates  []Tollgate
	Services   []Service
}

// Len is the number of documents.
func (c *Catalog) Len() int {
	return len(c.People) + len(c.Portfolios) + len(c.Boards) + len(c.Tollgates) + len(c.Services)
}

// Changes counts an import's documents by kind: created, updated and left
// unchanged. Storage reports it and the importer prints it.
type Changes struct {
	Created   map[string]int
	Updated   map[string]int
	Unchanged map[string]int
}

// Total returns created, updated and unchanged over all kinds.
func (c Changes) Total() (created, updated, unchanged int) {
	for _, n := range c.Created {
		created += n
	}
	for _, n := range c.Updated {
		updated += n
	}
	for _, n := range c.Unchanged {
		unchanged += n
	}
	return created, updated, unchanged
}
