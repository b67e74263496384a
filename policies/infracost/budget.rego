# A budget policy for `infra cost --format json`, which follows Infracost's schema, in the
# form of Infracost's OPA examples: each broken rule adds a message to `deny`. Run it with
# conftest (`conftest test --policy policies/infracost cost.json`) or opa (`opa eval
# --data policies/infracost --input cost.json 'data.main.deny'`); the limits come from
# `data.budget` when given (opa --data budget.json), else from the defaults below, in the
# document's currency.
package main

import rego.v1

default_budget := {"max_monthly": 100, "max_increase_percent": 20}

budget := object.union(default_budget, object.get(data, "budget", {}))

deny contains msg if {
	total := to_number(input.totalMonthlyCost)
	total > budget.max_monthly
	msg := concat(" ", ["monthly cost", input.totalMonthlyCost, input.currency, "is over the budget of", sprintf("%v", [budget.max_monthly])])
}

deny contains msg if {
	input.pastTotalMonthlyCost != null
	past := to_number(input.pastTotalMonthlyCost)
	past > 0
	percent := (to_number(input.diffTotalMonthlyCost) / past) * 100
	percent > budget.max_increase_percent
	msg := concat(" ", ["the change adds", sprintf("%v", [round(percent)]), "% to the monthly cost; the limit is", sprintf("%v", [budget.max_increase_percent]), "%"])
}

# A price the engine could not find makes any total a guess.
deny contains msg if {
	some resource in input.projects[_].breakdown.resources
	some component in resource.costComponents
	component.priceNotFound
	msg := concat("", [resource.name, ": no price for ", component.name])
}
