package gencatalog

import (
	"bytes"
	"fmt"
	"math/rand/v2"
)

// Backstage writes n Backstage entities in the shape of a real catalog
// (about 8% Users, 2% Groups, 1% Domains, 4% Systems, 10% Resources, the
// rest Components), all in one multi-document YAML file: Users name their
// Groups in memberOf, Components are owned by groups (with and without the
// kind), have dotted names, sit in Systems of Domains, and depend on other
// Components and Resources. Everything resolves, so the import has no
// warnings.
func Backstage(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	users, groups := max(2, n*8/100), max(1, n*2/100)
	domains, systems, resources := max(1, n/100), max(1, n*4/100), max(1, n/10)
	components := max(1, n-users-groups-domains-systems-resources)
	var b bytes.Buffer
	doc := func(format string, args ...any) {
		if b.Len() > 0 {
			b.WriteString("---\n")
		}
		fmt.Fprintf(&b, "apiVersion: backstage.io/v1alpha1\n"+format, args...)
	}
	for i := 0; i < groups; i++ {
		doc("kind: Group\nmetadata:\n  name: team-%d\nspec:\n  type: team\n  profile: {displayName: Team %d}\n  children: []\n", i, i)
	}
	for i := 0; i < users; i++ {
		doc("kind: User\nmetadata:\n  name: first.last%d\n  annotations: {slack.com/user-id: U%07d}\nspec:\n  profile: {displayName: First Last %d, email: first.last%d@example.com}\n  memberOf: [team-%d]\n",
			i, i, i, i, i%groups)
	}
	for i := 0; i < domains; i++ {
		doc("kind: Domain\nmetadata:\n  name: domain-%d\n  title: Domain %d\nspec:\n  owner: user:first.last%d\n", i, i, i%users)
	}
	for i := 0; i < systems; i++ {
		doc("kind: System\nmetadata:\n  name: system-%d\nspec:\n  owner: group:default/team-%d\n  domain: domain-%d\n", i, i%groups, i%domains)
	}
	for i := 0; i < resources; i++ {
		doc("kind: Resource\nmetadata:\n  name: db-%d\nspec:\n  type: database\n  owner: team-%d\n  system: system-%d\n", i, rng.IntN(groups), rng.IntN(systems))
	}
	for i := 0; i < components; i++ {
		deps := fmt.Sprintf("resource:db-%d", rng.IntN(resources))
		if i > 0 {
			deps += fmt.Sprintf(", component:default/svc.%05d", rng.IntN(i))
		}
		owner := fmt.Sprintf([]string{"team-%d", "group:team-%d", "group:default/team-%d"}[rng.IntN(3)], rng.IntN(groups))
		doc("kind: Component\nmetadata:\n  name: svc.%05d\n  title: Service %05d\n  description: Generated component %d.\n  tags: [generated]\n  links: [{url: 'https://wiki.example.com/%d', title: Wiki}]\n"+
			"spec:\n  type: service\n  lifecycle: %s\n  owner: %s\n  system: system-%d\n  dependsOn: [%s]\n",
			i, i, i, i, []string{"production", "production", "experimental", "deprecated"}[rng.IntN(4)],
			owner, rng.IntN(systems), deps)
	}
	return b.Bytes()
}
